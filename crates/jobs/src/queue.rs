//! The database queue: enqueue inside the caller's transaction, and the worker's side —
//! claim, complete, fail, heartbeat, release.
//!
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so many workers take different jobs
//! without waiting on each other, and `pg_notify` in the enqueuing transaction wakes idle
//! workers when it commits. SQLite has one writer; an `UPDATE … RETURNING` claims atomically.
//! A running job holds a lease (`locked_until`) that its worker renews; a job whose lease ran
//! out (the worker died) is claimed again.

use std::time::Duration;

use baseops_config::DatabaseKind;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, Statement};
use serde::Serialize;
use uuid::Uuid;

use crate::job::Job;
use crate::model::job;

/// The channel `pg_notify` wakes workers on.
pub const NOTIFY_CHANNEL: &str = "baseops_jobs";

/// The condition of the partial unique index on `dedup_key` (see the migration).
pub(crate) const DEDUP_INDEX_CONDITION: &str = "dedup_key IS NOT NULL AND state IN ('pending', 'running')";

/// Job states as stored.
pub mod state {
    /// Waiting for its `run_at`.
    pub const PENDING: &str = "pending";
    /// Claimed by a worker.
    pub const RUNNING: &str = "running";
    /// Finished successfully.
    pub const DONE: &str = "done";
    /// Failed its last attempt, or failed permanently.
    pub const DEAD: &str = "dead";
}

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
}

/// Enqueues a job inside the caller's transaction: it exists exactly when the transaction
/// commits. Returns the job's id, or `None` when a live job has the same de-duplication key.
///
/// # Errors
/// Database errors.
pub async fn enqueue(txn: &impl ConnectionTrait, job: Enqueue) -> Result<Option<Uuid>, DbErr> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    let row = job::Model {
        id,
        queue: job.queue.to_owned(),
        name: job.name.to_owned(),
        payload: job.payload,
        priority: job.priority,
        state: state::PENDING.to_owned(),
        attempts: 0,
        max_attempts: Ord::max(job.max_attempts, 1),
        timeout_secs: Ord::max(job.timeout_secs, 1),
        run_at: job.run_at.unwrap_or(now),
        locked_until: None,
        locked_by: None,
        dedup_key: job.dedup_key.map(|key| key.chars().take(200).collect()),
        last_error: None,
        organization_id: job.organization_id,
        request_id: job.request_id,
        created_at: now,
        finished_at: None,
    };
    let inserted = job::Entity::insert(row.into_active_model())
        .on_conflict(
            OnConflict::column(job::Column::DedupKey)
                // The partial index's own condition, as literal SQL: SQLite only matches a
                // partial index whose WHERE it can see is implied, and bound values hide that.
                .target_and_where(Expr::cust(DEDUP_INDEX_CONDITION))
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    if kind(txn) == DatabaseKind::Postgres {
        let notify = Statement::from_sql_and_values(
            txn.get_database_backend(),
            "SELECT pg_notify($1, $2)",
            [NOTIFY_CHANNEL.into(), job.queue.into()],
        );
        txn.execute_raw(notify).await?;
    } else {
        crate::worker::wake_local();
    }
    metrics::counter!("jobs_enqueued_total", "name" => job.name).increment(1);
    Ok(Some(id))
}

fn kind(db: &impl ConnectionTrait) -> DatabaseKind {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => DatabaseKind::Postgres,
        _ => DatabaseKind::Sqlite,
    }
}

/// Claims up to `limit` due jobs of `queues` for `worker`, leasing them until `lease`.
/// Jobs whose lease ran out are claimed again.
///
/// # Errors
/// Database errors.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    queues: &[String],
    limit: u64,
    lease: Duration,
) -> Result<Vec<job::Model>, DbErr> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    let due =
        Expr::col(job::Column::State).eq(state::PENDING).and(Expr::col(job::Column::RunAt).lte(now)).or(
            Expr::col(job::Column::State).eq(state::RUNNING).and(Expr::col(job::Column::LockedUntil).lt(now)),
        );
    let mut candidates = Query::select();
    candidates
        .column(job::Column::Id)
        .from(job::Entity)
        .and_where(Expr::col(job::Column::Queue).is_in(queues.iter().cloned()))
        .and_where(due)
        .order_by(job::Column::Priority, sea_orm::Order::Desc)
        .order_by(job::Column::RunAt, sea_orm::Order::Asc)
        .limit(limit);
    if kind(db) == DatabaseKind::Postgres {
        candidates.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(state::RUNNING))
        .col_expr(job::Column::Attempts, Expr::col(job::Column::Attempts).add(1))
        .col_expr(job::Column::LockedBy, Expr::value(worker))
        .col_expr(job::Column::LockedUntil, Expr::value(until))
        .filter(job::Column::Id.in_subquery(candidates))
        .exec_with_returning(db)
        .await
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
    let mut update = job::Entity::update_many();
    if !keep_input {
        update = update.col_expr(job::Column::Payload, Expr::value(BLANKED_INPUT));
    }
    let updated = update
        .col_expr(job::Column::State, Expr::value(state::DONE))
        .col_expr(job::Column::FinishedAt, Expr::value(Utc::now()))
        .col_expr(job::Column::LockedBy, Expr::value(None::<String>))
        .col_expr(job::Column::LockedUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(job::Column::Id.is_in(ids))
        .filter(job::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(updated.rows_affected)
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

/// Records a failed attempt: back to pending after [`backoff`], or dead after the last
/// attempt or a permanent failure.
///
/// # Errors
/// Database errors.
pub async fn fail(
    db: &impl ConnectionTrait,
    worker: &str,
    found: &job::Model,
    error: &str,
    permanent: bool,
    backoff_base: Duration,
) -> Result<&'static str, DbErr> {
    let now = Utc::now();
    let dead = permanent || found.attempts >= found.max_attempts;
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
    let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Expr::value(until))
        .filter(job::Column::Id.is_in(ids))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::State.eq(state::RUNNING))
        .exec(db)
        .await?;
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
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(state::PENDING))
        .col_expr(job::Column::Attempts, Expr::col(job::Column::Attempts).sub(1))
        .col_expr(job::Column::LockedBy, Expr::value(None::<String>))
        .col_expr(job::Column::LockedUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(job::Column::Id.is_in(ids))
        .filter(job::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(())
}

/// Counts of jobs by state, for `/metrics` and `jobs list`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Depth {
    /// Waiting, due or not.
    pub pending: i64,
    /// Claimed.
    pub running: i64,
    /// Dead.
    pub dead: i64,
}

/// Jobs by state.
///
/// # Errors
/// Database errors.
pub async fn depth(db: &impl ConnectionTrait) -> Result<Depth, DbErr> {
    let query = Query::select()
        .column(job::Column::State)
        .expr(Expr::col(job::Column::Id).count())
        .from(job::Entity)
        .and_where(Expr::col(job::Column::State).is_in([state::PENDING, state::RUNNING, state::DEAD]))
        .group_by_col(job::Column::State)
        .to_owned();
    let mut depth = Depth::default();
    for row in db.query_all(&query).await? {
        let state: String = row.try_get_by_index(0)?;
        let count: i64 = row.try_get_by_index(1)?;
        match state.as_str() {
            state::PENDING => depth.pending = count,
            state::RUNNING => depth.running = count,
            _ => depth.dead = count,
        }
    }
    Ok(depth)
}
