//! Enqueueing: one job or many, in the caller's transaction.
//!
//! A plain `INSERT` (the `ON CONFLICT` form only when a de-duplication key is set) with a fixed
//! statement text, so the database reuses its prepared plan. On PostgreSQL the transaction also
//! sends a `pg_notify` to wake idle workers at commit — but at most one per queue every
//! [`NOTIFY_DEBOUNCE`] from this process: PostgreSQL serializes the commits of notifying
//! transactions on one global lock, which would cap enqueueing at the disk's flush rate.
//! A job whose notification was skipped is seen by the worker the previous one woke, which
//! claims again before going idle and keeps looking for a short while after being busy
//! (see `worker.rs`); at worst it waits for the next poll.

use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use uuid::Uuid;

use super::{DEDUP_INDEX_CONDITION, NOTIFY_CHANNEL, is_postgres, state};
use crate::job::Job;

/// Most jobs one [`enqueue_many`] call takes.
pub const MAX_ENQUEUE_MANY: usize = 10_000;

/// Rows per `INSERT` statement in [`enqueue_many`] (14 values each, well under both
/// databases' parameter limits).
const ROWS_PER_STATEMENT: usize = 500;

/// Enqueues within this long of a notification for the same queue from this process do not
/// send their own.
const NOTIFY_DEBOUNCE: Duration = Duration::from_millis(2);

/// The columns `enqueue` writes; the others start NULL.
const COLUMNS: [&str; 14] = [
    "id",
    "queue",
    "name",
    "payload",
    "priority",
    "state",
    "attempts",
    "max_attempts",
    "timeout_secs",
    "run_at",
    "dedup_key",
    "organization_id",
    "request_id",
    "created_at",
];

/// A job about to be enqueued, with the options a caller may set.
#[derive(Debug, Clone)]
pub struct Enqueue {
    name: &'static str,
    queue: &'static str,
    payload: String,
    priority: i32,
    max_attempts: i32,
    timeout_secs: i32,
    dedup_key: Option<String>,
    run_at: Option<DateTime<Utc>>,
    organization_id: Option<Uuid>,
    request_id: Option<String>,
}

impl Enqueue {
    /// The job type's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A job with its type's defaults.
    ///
    /// # Errors
    /// When the job does not serialize.
    pub fn new<J: Job>(job: &J) -> Result<Self, serde_json::Error> {
        Ok(Self {
            name: J::NAME,
            queue: J::QUEUE,
            payload: serde_json::to_string(job)?,
            priority: J::PRIORITY,
            max_attempts: J::MAX_ATTEMPTS,
            timeout_secs: J::TIMEOUT_SECS,
            dedup_key: job.dedup_key(),
            run_at: None,
            organization_id: None,
            request_id: None,
        })
    }

    /// Runs no earlier than `at`.
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// Runs no earlier than `delay` from now.
    pub fn after(self, delay: Duration) -> Self {
        let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::zero());
        self.at(at)
    }

    /// Overrides the de-duplication key.
    pub fn dedup_key(mut self, key: impl Into<String>) -> Self {
        self.dedup_key = Some(key.into());
        self
    }

    /// Records the organization and request the job works for.
    pub fn context(mut self, organization_id: Option<Uuid>, request_id: Option<&str>) -> Self {
        self.organization_id = organization_id;
        self.request_id = request_id.map(|id| id.chars().take(128).collect());
        self
    }

    /// The row's values, in [`COLUMNS`] order.
    fn values(self, id: Uuid, now: DateTime<Utc>) -> [Value; 14] {
        [
            id.into(),
            self.queue.into(),
            self.name.into(),
            self.payload.into(),
            self.priority.into(),
            state::PENDING.into(),
            0_i32.into(),
            Ord::max(self.max_attempts, 1).into(),
            Ord::max(self.timeout_secs, 1).into(),
            self.run_at.unwrap_or(now).into(),
            self.dedup_key.map(|key| key.chars().take(200).collect::<String>()).into(),
            self.organization_id.into(),
            self.request_id.into(),
            now.into(),
        ]
    }
}

/// Enqueues a job inside the caller's transaction: it exists exactly when the transaction
/// commits. Returns the job's id, or `None` when a live job has the same de-duplication key.
///
/// # Errors
/// Database errors.
pub async fn enqueue(txn: &impl ConnectionTrait, job: Enqueue) -> Result<Option<Uuid>, DbErr> {
    let backend = txn.get_database_backend();
    let (name, queue, deduplicated) = (job.name, job.queue, job.dedup_key.is_some());
    let id = Uuid::now_v7();
    let sql = single_row_insert(backend, deduplicated);
    let values = job.values(id, Utc::now());
    let inserted = txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    if inserted.rows_affected() == 0 {
        return Ok(None);
    }
    wake(txn, &[queue]).await?;
    metrics::counter!("jobs_enqueued_total", "name" => name).increment(1);
    Ok(Some(id))
}

/// Enqueues many jobs inside the caller's transaction with multi-row inserts (a campaign's
/// sends, an import's rows): one statement per 500 jobs instead of one per job. Returns each
/// job's id in input order, `None` for one whose de-duplication key is taken by a live job
/// or by an earlier job of the same call.
///
/// # Errors
/// Database errors; more than [`MAX_ENQUEUE_MANY`] jobs.
pub async fn enqueue_many(
    txn: &impl ConnectionTrait,
    jobs: Vec<Enqueue>,
) -> Result<Vec<Option<Uuid>>, DbErr> {
    if jobs.len() > MAX_ENQUEUE_MANY {
        return Err(DbErr::Custom(format!(
            "enqueue_many takes at most {MAX_ENQUEUE_MANY} jobs at once, not {}",
            jobs.len()
        )));
    }
    let backend = txn.get_database_backend();
    let now = Utc::now();
    let mut ids: Vec<Option<Uuid>> = Vec::with_capacity(jobs.len());
    let mut keys = std::collections::HashSet::new();
    // (id, name, queue) of each row to insert, in order.
    let mut meta = Vec::with_capacity(jobs.len());
    let mut rows = Vec::with_capacity(jobs.len());
    for job in jobs {
        // A key repeated within the call keeps its first job, as separate enqueues would.
        if let Some(key) = &job.dedup_key
            && !keys.insert(key.chars().take(200).collect::<String>())
        {
            ids.push(None);
            continue;
        }
        let id = Uuid::now_v7();
        ids.push(Some(id));
        meta.push((id, job.name, job.queue));
        rows.push(job.values(id, now));
    }
    let deduplicated = !keys.is_empty();
    let mut inserted = std::collections::HashSet::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<[Value; 14]> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        let sql = insert_sql(backend, chunk.len(), deduplicated);
        let statement = Statement::from_sql_and_values(backend, sql, chunk.into_iter().flatten());
        if deduplicated {
            // Only the rows that did not conflict come back.
            for row in txn.query_all_raw(statement).await? {
                inserted.insert(row.try_get_by_index::<Uuid>(0)?);
            }
        } else {
            txn.execute_raw(statement).await?;
        }
    }
    if deduplicated {
        for id in &mut ids {
            if id.is_some_and(|id| !inserted.contains(&id)) {
                *id = None;
            }
        }
        meta.retain(|(id, _, _)| inserted.contains(id));
    }
    let mut queues: Vec<&'static str> = Vec::new();
    let mut names: Vec<(&'static str, u64)> = Vec::new();
    for (_, name, queue) in meta {
        if !queues.contains(&queue) {
            queues.push(queue);
        }
        match names.iter_mut().find(|(known, _)| *known == name) {
            Some((_, count)) => *count += 1,
            None => names.push((name, 1)),
        }
    }
    if !queues.is_empty() {
        wake(txn, &queues).await?;
    }
    for (name, count) in names {
        metrics::counter!("jobs_enqueued_total", "name" => name).increment(count);
    }
    Ok(ids)
}

/// Wakes workers: `pg_notify` at commit on PostgreSQL (debounced per queue), this process's
/// workers directly on SQLite (one writer: their claim waits for this transaction anyway).
async fn wake(txn: &impl ConnectionTrait, queues: &[&'static str]) -> Result<(), DbErr> {
    if !is_postgres(txn) {
        crate::worker::wake_local();
        return Ok(());
    }
    for queue in queues {
        if notify_due(queue, Instant::now()) {
            let notify = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [NOTIFY_CHANNEL.into(), (*queue).into()],
            );
            txn.execute_raw(notify).await?;
        }
    }
    Ok(())
}

/// Whether an enqueue for `queue` at `now` sends a notification (none was sent for it from
/// this process in the last [`NOTIFY_DEBOUNCE`]).
fn notify_due(queue: &'static str, now: Instant) -> bool {
    static LAST: Mutex<Vec<(&'static str, Instant)>> = Mutex::new(Vec::new());
    let mut last = LAST.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match last.iter_mut().find(|(name, _)| *name == queue) {
        Some((_, at)) if now.saturating_duration_since(*at) < NOTIFY_DEBOUNCE => false,
        Some((_, at)) => {
            *at = now;
            true
        }
        None => {
            last.push((queue, now));
            true
        }
    }
}

/// The one-row insert, built once per backend and conflict mode.
fn single_row_insert(backend: DbBackend, deduplicated: bool) -> &'static str {
    static SQL: LazyLock<[String; 4]> = LazyLock::new(|| {
        [
            insert_sql(DbBackend::Postgres, 1, false),
            insert_sql(DbBackend::Postgres, 1, true),
            insert_sql(DbBackend::Sqlite, 1, false),
            insert_sql(DbBackend::Sqlite, 1, true),
        ]
    });
    let index = usize::from(backend != DbBackend::Postgres) * 2 + usize::from(deduplicated);
    &SQL[index]
}

/// `INSERT INTO jobs (…) VALUES (…), …` for `rows` rows; with `deduplicated`, rows whose key
/// is taken are skipped and, for more than one row, the inserted ids are returned.
fn insert_sql(backend: DbBackend, rows: usize, deduplicated: bool) -> String {
    let mut sql = format!("INSERT INTO jobs ({}) VALUES ", COLUMNS.join(", "));
    let mut parameter = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMNS.len() {
            parameter += 1;
            if column > 0 {
                sql.push_str(", ");
            }
            if backend == DbBackend::Postgres {
                sql.push_str(&format!("${parameter}"));
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    if deduplicated {
        // The partial index's own condition, as literal SQL: SQLite only matches a partial
        // index whose WHERE it can see is implied, and bound values hide that.
        sql.push_str(&format!(" ON CONFLICT (dedup_key) WHERE {DEDUP_INDEX_CONDITION} DO NOTHING"));
        if rows > 1 {
            sql.push_str(" RETURNING id");
        }
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_are_debounced_per_queue() {
        let start = Instant::now();
        assert!(notify_due("test.debounce.a", start));
        assert!(!notify_due("test.debounce.a", start + NOTIFY_DEBOUNCE / 2), "notified twice in the window");
        assert!(notify_due("test.debounce.b", start + NOTIFY_DEBOUNCE / 2), "another queue was held back");
        assert!(notify_due("test.debounce.a", start + NOTIFY_DEBOUNCE), "the window never closed");
    }

    #[test]
    fn inserts_have_one_placeholder_per_value() {
        let sql = insert_sql(DbBackend::Postgres, 2, true);
        assert!(sql.contains("$28)") && !sql.contains("$29"), "{sql}");
        assert!(sql.ends_with("DO NOTHING RETURNING id"), "{sql}");
        let sql = insert_sql(DbBackend::Sqlite, 3, false);
        assert_eq!(sql.matches('?').count(), 42);
        assert!(!sql.contains("ON CONFLICT"));
    }
}
