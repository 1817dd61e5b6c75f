//! The database queue: enqueue inside the caller's transaction ([`enqueue`],
//! [`enqueue_many`]), and the worker's side — claim, complete, fail, heartbeat, release.
//!
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so many workers take different jobs
//! without waiting on each other, and `pg_notify` in the enqueuing transaction wakes idle
//! workers when it commits. SQLite has one writer; an `UPDATE … RETURNING` claims atomically.
//! A running job holds a lease (`locked_until`) that its worker renews; a job whose lease ran
//! out (the worker died) is claimed again.
//!
//! With the Redis backend the `jobs` row is still written here, in the caller's transaction:
//! it is the outbox a relay moves into Redis (`queued`), and the record outcomes return to.

pub(crate) mod database;
mod enqueue;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;

pub use database::{
    BLANKED_INPUT, Claimed, backoff, claim, complete, complete_many, fail, heartbeat, release,
};
pub use enqueue::{Enqueue, MAX_ENQUEUE_MANY, enqueue, enqueue_many};

use crate::model::job;

/// The channel `pg_notify` wakes workers on.
pub const NOTIFY_CHANNEL: &str = "baseops_jobs";

/// The condition of the partial unique index on `dedup_key` (see the migration): a key is
/// taken while its job waits, is relayed to Redis, or runs.
pub(crate) const DEDUP_INDEX_CONDITION: &str =
    "dedup_key IS NOT NULL AND state IN ('pending', 'queued', 'running')";

/// Job states as stored.
pub mod state {
    /// Waiting for its `run_at`.
    pub const PENDING: &str = "pending";
    /// Handed to the Redis backend, which dispatches it (waiting or running there).
    pub const QUEUED: &str = "queued";
    /// Claimed by a worker.
    pub const RUNNING: &str = "running";
    /// Finished successfully.
    pub const DONE: &str = "done";
    /// Failed its last attempt, or failed permanently.
    pub const DEAD: &str = "dead";

    /// Every state, for validating filters.
    pub const ALL: [&str; 5] = [PENDING, QUEUED, RUNNING, DONE, DEAD];
}

fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == sea_orm::DatabaseBackend::Postgres
}

/// Counts of jobs by state, for `/metrics` and `jobs list`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Depth {
    /// Waiting, due or not.
    pub pending: i64,
    /// In Redis (Redis backend): waiting or running there.
    pub queued: i64,
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
        .and_where(Expr::col(job::Column::State).is_in([
            state::PENDING,
            state::QUEUED,
            state::RUNNING,
            state::DEAD,
        ]))
        .group_by_col(job::Column::State)
        .to_owned();
    let mut depth = Depth::default();
    for row in db.query_all(&query).await? {
        let state: String = row.try_get_by_index(0)?;
        let count: i64 = row.try_get_by_index(1)?;
        match state.as_str() {
            state::PENDING => depth.pending = count,
            state::QUEUED => depth.queued = count,
            state::RUNNING => depth.running = count,
            _ => depth.dead = count,
        }
    }
    Ok(depth)
}
