//! The worker's side of the database queue: claim, complete, fail, heartbeat, release.
//!
//! Statements are written out per dialect with fixed texts (id lists are one array parameter
//! on PostgreSQL), so both databases reuse prepared plans, and the claim reads the partial
//! index of pending jobs in its own order, queue by queue, instead of sorting every due row.
//!
//! Every statement names the state it expects with a literal (`state = 'running'`): besides
//! being the rule, it keeps PostgreSQL's cached generic plans on the partial indexes. A plan
//! cached while the table was nearly empty would otherwise stay a sequential scan as the table
//! grows (until the next ANALYZE), making each completion cost more than the last.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::state;
use crate::model::job;

/// What a worker needs of a claimed job to run it and record its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimed {
    /// The job's id.
    pub id: Uuid,
    /// Its type's name.
    pub name: String,
    /// Its input, as JSON.
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Longest one attempt may take.
    pub timeout_secs: i32,
    /// The organization it works for.
    pub organization_id: Option<Uuid>,
    /// The request that caused it.
    pub request_id: Option<String>,
}

/// The columns a claim returns, in [`Claimed`]'s order.
const CLAIMED_COLUMNS: &str =
    "id, name, payload, attempts, max_attempts, timeout_secs, organization_id, request_id";

impl Claimed {
    pub(crate) fn from_row(row: &sea_orm::QueryResult) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.try_get_by_index(0)?,
            name: row.try_get_by_index(1)?,
            payload: row.try_get_by_index(2)?,
            attempts: row.try_get_by_index(3)?,
            max_attempts: row.try_get_by_index(4)?,
            timeout_secs: row.try_get_by_index(5)?,
            organization_id: row.try_get_by_index(6)?,
            request_id: row.try_get_by_index(7)?,
        })
    }
}

/// Numbered placeholders: `$n` on PostgreSQL, `?n` on SQLite (which binds `?n` to the n-th
/// value, so one value may be used twice).
pub(crate) fn placeholder(backend: DbBackend, n: usize) -> String {
    if backend == DbBackend::Postgres { format!("${n}") } else { format!("?{n}") }
}

/// `id` is one of `ids`, whose values start at placeholder `first`: one array parameter on
/// PostgreSQL, a list on SQLite (which keeps UUIDs as blobs).
pub(crate) fn id_in(backend: DbBackend, first: usize, ids: &[Uuid], values: &mut Vec<Value>) -> String {
    if backend == DbBackend::Postgres {
        let list: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        values.push(format!("{{{}}}", list.join(",")).into());
        format!("id = ANY(CAST(${first} AS uuid[]))")
    } else {
        let list: Vec<String> = (0..ids.len()).map(|n| format!("?{}", first + n)).collect();
        values.extend(ids.iter().map(|id| Value::from(*id)));
        format!("id IN ({})", list.join(", "))
    }
}

pub(crate) fn until(lease: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5))
}

/// Claims up to `limit` due jobs of `queues` for `worker`, leasing them until `lease` from
/// now. Jobs whose lease ran out (their worker was lost) are claimed again, first — and so
/// are jobs a Redis relay queued but no longer looks after (after a switch back from Redis).
///
/// # Errors
/// Database errors.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    queues: &[String],
    limit: u64,
    lease: Duration,
) -> Result<Vec<Claimed>, DbErr> {
    if queues.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let now = Utc::now();
    let skip_locked = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let p = |n| placeholder(backend, n);
    let queue_list: Vec<String> = (0..queues.len()).map(|n| p(5 + n)).collect();
    // One ordered index scan per queue (the partial index on pending jobs), and the expired
    // leases through the small index on running jobs; then the best `limit` of them.
    let mut ctes = vec![format!(
        "expired AS (SELECT id, 1 AS expired, priority, run_at FROM jobs \
         WHERE state IN ('running', 'queued') AND locked_until < {now} AND queue IN ({queues}) \
         ORDER BY locked_until LIMIT {limit}{skip_locked})",
        now = p(3),
        queues = queue_list.join(", "),
        limit = p(4),
    )];
    let mut union = vec!["SELECT * FROM expired".to_owned()];
    for (n, queue) in queue_list.iter().enumerate() {
        ctes.push(format!(
            "q{n} AS (SELECT id, 0 AS expired, priority, run_at FROM jobs \
             WHERE state = 'pending' AND queue = {queue} AND run_at <= {now} \
             ORDER BY priority DESC, run_at LIMIT {limit}{skip_locked})",
            now = p(3),
            limit = p(4),
        ));
        union.push(format!("SELECT * FROM q{n}"));
    }
    let sql = format!(
        "WITH {ctes} UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = {worker}, \
         locked_until = {until} WHERE id IN (SELECT id FROM ({union}) AS candidates \
         ORDER BY expired DESC, priority DESC, run_at LIMIT {limit}) RETURNING {CLAIMED_COLUMNS}",
        ctes = ctes.join(", "),
        worker = p(1),
        until = p(2),
        union = union.join(" UNION ALL "),
        limit = p(4),
    );
    let mut values: Vec<Value> =
        vec![worker.into(), until(lease).into(), now.into(), i64::try_from(limit).unwrap_or(i64::MAX).into()];
    values.extend(queues.iter().map(|queue| Value::from(queue.as_str())));
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(Claimed::from_row).collect()
}

/// What a done job's stored input becomes when its type does not keep it.
pub const BLANKED_INPUT: &str = "null";

/// Marks a job done (only while `worker` holds it), blanking its input unless `keep_input`.
///
/// # Errors
/// Database errors.
pub async fn complete(
    db: &impl ConnectionTrait,
    worker: &str,
    id: Uuid,
    keep_input: bool,
) -> Result<bool, DbErr> {
    Ok(complete_many(db, worker, vec![id], keep_input).await? == 1)
}

/// Marks several jobs done in one statement (the worker batches its completions); returns
/// how many `worker` still held.
///
/// # Errors
/// Database errors.
pub async fn complete_many(
    db: &impl ConnectionTrait,
    worker: &str,
    ids: Vec<Uuid>,
    keep_input: bool,
) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![Utc::now().into(), worker.into()];
    let blank = if keep_input { String::new() } else { format!(", payload = '{BLANKED_INPUT}'") };
    let sql = format!(
        "UPDATE jobs SET state = 'done', finished_at = {finished}, locked_by = NULL, locked_until = NULL{blank} \
         WHERE state = 'running' AND locked_by = {worker} AND {ids}",
        finished = placeholder(backend, 1),
        worker = placeholder(backend, 2),
        ids = id_in(backend, 3, &ids, &mut values),
    );
    Ok(db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected())
}

/// The delay before attempt `attempt + 1`: `base` × 2^(attempt − 1), capped at an hour,
/// plus up to 25 % random jitter so failed jobs do not retry in lockstep.
pub fn backoff(attempt: i32, base: Duration) -> Duration {
    let factor = 2_f64.powi((attempt - 1).clamp(0, 20));
    let delay = (base.as_secs_f64() * factor).min(3600.0);
    let mut byte = [0_u8; 1];
    let _ = getrandom::fill(&mut byte);
    Duration::from_secs_f64(delay * (1.0 + f64::from(byte[0]) / 1020.0))
}

/// Whether a failed attempt is the job's last: a permanent failure, or no attempts left.
pub(crate) fn is_last_attempt(found: &Claimed, permanent: bool) -> bool {
    permanent || found.attempts >= found.max_attempts
}

/// Records a failed attempt: back to pending after [`backoff`], or dead after the last
/// attempt or a permanent failure.
///
/// # Errors
/// Database errors.
pub async fn fail(
    db: &impl ConnectionTrait,
    worker: &str,
    found: &Claimed,
    error: &str,
    permanent: bool,
    backoff_base: Duration,
) -> Result<&'static str, DbErr> {
    let now = Utc::now();
    let dead = is_last_attempt(found, permanent);
    let error: String = error.chars().take(4000).collect();
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::LastError, Expr::value(error))
        .col_expr(job::Column::LockedBy, Expr::value(None::<String>))
        .col_expr(job::Column::LockedUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(job::Column::Id.eq(found.id))
        .filter(job::Column::LockedBy.eq(worker));
    let next = if dead {
        update = update
            .col_expr(job::Column::State, Expr::value(state::DEAD))
            .col_expr(job::Column::FinishedAt, Expr::value(now));
        state::DEAD
    } else {
        let retry_at = now
            + chrono::Duration::from_std(backoff(found.attempts, backoff_base))
                .unwrap_or(chrono::Duration::hours(1));
        update = update
            .col_expr(job::Column::State, Expr::value(state::PENDING))
            .col_expr(job::Column::RunAt, Expr::value(retry_at));
        state::PENDING
    };
    update.exec(db).await?;
    Ok(next)
}

/// Renews the lease of the jobs `worker` is running.
///
/// # Errors
/// Database errors.
pub async fn heartbeat(
    db: &impl ConnectionTrait,
    worker: &str,
    ids: Vec<Uuid>,
    lease: Duration,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![until(lease).into(), worker.into()];
    let sql = format!(
        "UPDATE jobs SET locked_until = {until} WHERE state = 'running' AND locked_by = {worker} AND {ids}",
        until = placeholder(backend, 1),
        worker = placeholder(backend, 2),
        ids = id_in(backend, 3, &ids, &mut values),
    );
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}

/// Gives jobs back unrun (shutdown): pending again, the attempt not counted.
///
/// # Errors
/// Database errors.
pub async fn release(db: &impl ConnectionTrait, worker: &str, ids: Vec<Uuid>) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![worker.into()];
    let sql = format!(
        "UPDATE jobs SET state = 'pending', attempts = attempts - 1, locked_by = NULL, locked_until = NULL \
         WHERE state = 'running' AND locked_by = {worker} AND {ids}",
        worker = placeholder(backend, 1),
        ids = id_in(backend, 2, &ids, &mut values),
    );
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}
