//! The database side of the Redis backend: the relay that moves committed rows into Redis,
//! the sweep that reconciles rows Redis should hold, and the outcomes written back.
//!
//! A relayed row is `queued` with a relay lease in `locked_until`. The sweep renews the lease
//! of rows Redis still holds, writes back outcomes a crashed worker left as tombstones, and
//! puts rows Redis lost (a restart without persistence) back to `pending` to be relayed again.

use std::time::Duration;

use baseops_db::WriteConnection;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, TransactionTrait, Value};
use uuid::Uuid;

use crate::queue::database::{id_in, placeholder, until};
use crate::queue::{BLANKED_INPUT, Claimed};

/// A row taken for Redis, with what Redis needs to dispatch it.
pub(super) struct Relayed {
    pub(super) queue: String,
    pub(super) priority: i32,
    pub(super) run_at: DateTime<Utc>,
    pub(super) job: Claimed,
}

/// Takes up to `limits[i]` rows of `queues[i]` due before `horizon` — pending, or running with
/// an expired lease (left by a database-backend worker) — marks them `queued` with a relay
/// lease, and hands them to `push` (which stages them in Redis) before committing: if the push
/// fails, nothing changed. Returns the ids relayed and how many rows each queue gave; the
/// caller confirms them in Redis once this returns.
pub(super) async fn relay<F, Fut>(
    db: &WriteConnection,
    queues: &[(String, u64)],
    horizon: DateTime<Utc>,
    lease: Duration,
    push: F,
) -> Result<(Vec<Uuid>, Vec<usize>), super::RelayError>
where
    F: FnOnce(Vec<Relayed>) -> Fut,
    Fut: std::future::Future<Output = Result<(), ::redis::RedisError>>,
{
    let backend = db.get_database_backend();
    let now = Utc::now();
    let p = |n| placeholder(backend, n);
    let skip_locked = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let mut values: Vec<Value> = vec![until(lease).into(), horizon.into(), now.into()];
    let mut ctes = Vec::new();
    for (queue, limit) in queues {
        let (queue_at, limit_at) = (values.len() + 1, values.len() + 2);
        values.push(queue.as_str().into());
        values.push(i64::try_from(*limit).unwrap_or(i64::MAX).into());
        let n = ctes.len();
        ctes.push(format!(
            "p{n} AS (SELECT id FROM jobs WHERE state = 'pending' AND queue = {queue} AND run_at <= {horizon} \
             ORDER BY priority DESC, run_at LIMIT {limit}{skip_locked}), \
             r{n} AS (SELECT id FROM jobs WHERE state = 'running' AND locked_until < {now} AND queue = {queue} \
             ORDER BY locked_until LIMIT {limit}{skip_locked})",
            queue = p(queue_at),
            limit = p(limit_at),
            horizon = p(2),
            now = p(3),
        ));
    }
    let union: Vec<String> =
        (0..ctes.len()).map(|n| format!("SELECT id FROM p{n} UNION ALL SELECT id FROM r{n}")).collect();
    let sql = format!(
        "WITH {ctes} UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = {lease} \
         WHERE id IN ({union}) RETURNING id, name, payload, attempts, max_attempts, timeout_secs, \
         organization_id, request_id, queue, priority, run_at",
        ctes = ctes.join(", "),
        lease = p(1),
        union = union.join(" UNION ALL "),
    );
    let txn = db.begin().await?;
    let rows = txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut relayed = Vec::with_capacity(rows.len());
    for row in &rows {
        relayed.push(Relayed {
            job: Claimed::from_row(row)?,
            queue: row.try_get_by_index(8)?,
            priority: row.try_get_by_index(9)?,
            run_at: row.try_get_by_index(10)?,
        });
    }
    let per_queue =
        queues.iter().map(|(queue, _)| relayed.iter().filter(|row| &row.queue == queue).count()).collect();
    let ids = relayed.iter().map(|row| row.job.id).collect();
    if relayed.is_empty() {
        txn.commit().await?;
        return Ok((ids, per_queue));
    }
    push(relayed).await?;
    txn.commit().await?;
    Ok((ids, per_queue))
}

/// Queued rows whose relay lease ran out, oldest first.
pub(super) async fn due_for_sweep(db: &WriteConnection, limit: u64) -> Result<Vec<Uuid>, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT id FROM jobs WHERE state = 'queued' AND locked_until < {} ORDER BY locked_until LIMIT {}",
        placeholder(backend, 1),
        placeholder(backend, 2),
    );
    let values: [Value; 2] = [Utc::now().into(), i64::try_from(limit).unwrap_or(i64::MAX).into()];
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(|row| row.try_get_by_index(0)).collect()
}

/// Renews the relay lease of rows Redis still holds.
pub(super) async fn renew(db: &WriteConnection, ids: &[Uuid], lease: Duration) -> Result<(), DbErr> {
    update_queued(db, "locked_until = ?", vec![until(lease).into()], ids).await.map(drop)
}

/// Rows Redis lost go back to `pending`, to be relayed (and run) again.
pub(super) async fn requeue(db: &WriteConnection, ids: &[Uuid]) -> Result<u64, DbErr> {
    update_queued(db, "state = 'pending', locked_until = NULL", Vec::new(), ids).await
}

/// A success to record.
pub(super) struct Done {
    pub(super) id: Uuid,
    pub(super) attempts: i32,
    pub(super) keep_input: bool,
    /// The error of the failed attempt before, as Redis has it: the row's own copy may miss
    /// the last one (a retry's write can land after the success's).
    pub(super) last_error: Option<String>,
}

/// Records successes, one statement per kind (usually one: first attempts, input kept).
pub(super) async fn write_done(
    db: &WriteConnection,
    done: &[Done],
    finished: DateTime<Utc>,
) -> Result<u64, DbErr> {
    /// Attempts, input kept, last error: what one statement writes.
    type Kind<'a> = (i32, bool, Option<&'a str>);
    let mut groups: Vec<(Kind, Vec<Uuid>)> = Vec::new();
    for job in done {
        let key = (job.attempts, job.keep_input, job.last_error.as_deref());
        match groups.iter_mut().find(|(known, _)| *known == key) {
            Some((_, ids)) => ids.push(job.id),
            None => groups.push((key, vec![job.id])),
        }
    }
    let mut written = 0;
    for ((attempts, keep, last_error), ids) in groups {
        let mut set = "state = 'done', attempts = ?, finished_at = ?, locked_until = NULL".to_owned();
        let mut values: Vec<Value> = vec![attempts.into(), finished.into()];
        if !keep {
            set.push_str(&format!(", payload = '{BLANKED_INPUT}'"));
        }
        if let Some(error) = last_error {
            set.push_str(", last_error = ?");
            values.push(error.into());
        }
        written += update_queued(db, &set, values, &ids).await?;
    }
    Ok(written)
}

/// Records a dead job with its last error.
pub(super) async fn write_dead(
    db: &WriteConnection,
    id: Uuid,
    attempts: i32,
    error: &str,
    finished: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let set = "state = 'dead', attempts = ?, last_error = ?, finished_at = ?, locked_until = NULL";
    update_queued(db, set, vec![attempts.into(), error.into(), finished.into()], &[id]).await
}

/// Records a failed attempt that will be retried (the row stays `queued`; Redis holds the
/// retry), so `jobs list` shows the attempts and the error meanwhile. The next attempt may
/// run and fail before this write lands: a write for an earlier attempt changes nothing.
pub(super) async fn write_retry(
    db: &WriteConnection,
    id: Uuid,
    attempts: i32,
    error: &str,
    retry_at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let p = |n| placeholder(backend, n);
    let sql = format!(
        "UPDATE jobs SET attempts = {attempts}, last_error = {error}, run_at = {run_at} \
         WHERE state = 'queued' AND id = {id} AND attempts < {attempts}",
        attempts = p(1),
        error = p(2),
        run_at = p(3),
        id = p(4),
    );
    let values: [Value; 4] = [attempts.into(), error.into(), retry_at.into(), id.into()];
    Ok(db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected())
}

/// `UPDATE jobs SET <set> WHERE state = 'queued' AND id IN ids`; each `?` in `set` takes the
/// next of `values`. Only queued rows change: an outcome written twice (by the worker and
/// by the sweep) or for a row an operator changed meanwhile is a no-op.
async fn update_queued(
    db: &WriteConnection,
    set: &str,
    mut values: Vec<Value>,
    ids: &[Uuid],
) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let backend = db.get_database_backend();
    let mut numbered = String::with_capacity(set.len() + 8);
    for (n, piece) in set.split('?').enumerate() {
        if n > 0 {
            numbered.push_str(&placeholder(backend, n));
        }
        numbered.push_str(piece);
    }
    let ids = id_in(backend, values.len() + 1, ids, &mut values);
    let sql = format!("UPDATE jobs SET {numbered} WHERE state = 'queued' AND {ids}");
    Ok(db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected())
}
