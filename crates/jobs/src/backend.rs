//! Where a worker takes its jobs from: the [`JobQueue`] trait, with the database queue
//! ([`DatabaseQueue`], the default) and Redis ([`crate::redis::RedisQueue`],
//! `jobs.backend = "redis"`) behind it.
//!
//! Enqueueing is not part of the trait: with either backend a job is a `jobs` row written in
//! the caller's transaction ([`crate::enqueue`]), so it exists exactly when its change
//! committed; the backends differ in how workers are handed those rows.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use baseops_db::WriteConnection;
use sea_orm::DbErr;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::queue::{self, Claimed, NOTIFY_CHANNEL};

/// Why the queue could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] DbErr),
    /// Redis failed.
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    /// The settings ask for something that cannot work (Redis without a URL).
    #[error("{0}")]
    Settings(String),
}

impl From<QueueError> for DbErr {
    fn from(error: QueueError) -> Self {
        match error {
            QueueError::Database(error) => error,
            other => DbErr::Custom(other.to_string()),
        }
    }
}

/// A succeeded job whose completion is to be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// The job.
    pub id: Uuid,
    /// Whether its input stays (see [`crate::Job::KEEP_INPUT`]).
    pub keep_input: bool,
}

/// A future that resolves `true` when jobs may be waiting, `false` at its time-out.
pub type Wake = Pin<Box<dyn Future<Output = bool> + Send>>;

/// Dispatch of committed jobs to workers. Every method acts only on jobs `worker` holds, so a
/// worker whose lease ran out cannot overwrite the outcome of the one that took over.
#[async_trait::async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// Claims up to `limit` due jobs of `queues`, leased for `lease`; includes jobs whose
    /// lease ran out. Counts an attempt for each.
    async fn claim(
        &self,
        worker: &str,
        queues: &[String],
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Claimed>, QueueError>;

    /// Records successes; returns how many `worker` still held.
    async fn complete(&self, worker: &str, finished: &[Finished]) -> Result<u64, QueueError>;

    /// Records a failed attempt: a retry after back-off, or dead (returned as the new state,
    /// [`queue::state::PENDING`] or [`queue::state::DEAD`]).
    async fn fail(
        &self,
        worker: &str,
        job: &Claimed,
        error: &str,
        permanent: bool,
        backoff_base: Duration,
    ) -> Result<&'static str, QueueError>;

    /// Renews the leases of the jobs `worker` runs.
    async fn heartbeat(&self, worker: &str, ids: &[Uuid], lease: Duration) -> Result<(), QueueError>;

    /// Gives jobs back unrun, their attempt not counted (shutdown).
    async fn release(&self, worker: &str, ids: &[Uuid]) -> Result<(), QueueError>;

    /// A future, created before a claim and awaited after an empty one, that resolves `true`
    /// when jobs of `queues` may have arrived since it was created, or `false` after `timeout`.
    fn wake(&self, queues: &[String], timeout: Duration) -> Wake;

    /// Whether a wake-up can be missed for a moment (debounced notifications), so that a
    /// worker should look again shortly after work before waiting a whole poll interval.
    fn lingers(&self) -> bool {
        true
    }

    /// Background tasks the queue needs while `worker` runs jobs of `queues` (a LISTEN
    /// connection, a relay); they end once `stop` turns true.
    fn start(&self, worker: &str, queues: &[String], stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>>;
}

/// Wakes idle workers of this process (SQLite enqueues, and PostgreSQL notifications).
pub(crate) fn local() -> &'static Notify {
    static LOCAL: OnceLock<Notify> = OnceLock::new();
    LOCAL.get_or_init(Notify::new)
}

/// The `jobs` table: claims with `FOR UPDATE SKIP LOCKED` (PostgreSQL) or an atomic
/// `UPDATE … RETURNING` (SQLite), leases in `locked_until`, wake-ups by `LISTEN/NOTIFY`.
#[derive(Debug, Clone)]
pub struct DatabaseQueue {
    db: WriteConnection,
}

impl DatabaseQueue {
    /// The queue on `db` (the write pool).
    pub fn new(db: WriteConnection) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl JobQueue for DatabaseQueue {
    async fn claim(
        &self,
        worker: &str,
        queues: &[String],
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Claimed>, QueueError> {
        Ok(queue::claim(&self.db, worker, queues, limit as u64, lease).await?)
    }

    async fn complete(&self, worker: &str, finished: &[Finished]) -> Result<u64, QueueError> {
        let mut held = 0;
        for keep_input in [true, false] {
            let ids: Vec<Uuid> =
                finished.iter().filter(|done| done.keep_input == keep_input).map(|done| done.id).collect();
            held += queue::complete_many(&self.db, worker, ids, keep_input).await?;
        }
        Ok(held)
    }

    async fn fail(
        &self,
        worker: &str,
        job: &Claimed,
        error: &str,
        permanent: bool,
        backoff_base: Duration,
    ) -> Result<&'static str, QueueError> {
        Ok(queue::fail(&self.db, worker, job, error, permanent, backoff_base).await?)
    }

    async fn heartbeat(&self, worker: &str, ids: &[Uuid], lease: Duration) -> Result<(), QueueError> {
        Ok(queue::heartbeat(&self.db, worker, ids.to_vec(), lease).await?)
    }

    async fn release(&self, worker: &str, ids: &[Uuid]) -> Result<(), QueueError> {
        Ok(queue::release(&self.db, worker, ids.to_vec()).await?)
    }

    fn wake(&self, _queues: &[String], timeout: Duration) -> Wake {
        // Created now, so a wake-up between the claim and the wait is not missed.
        let notified = local().notified();
        Box::pin(async move {
            tokio::select! {
                () = notified => true,
                () = tokio::time::sleep(timeout) => false,
            }
        })
    }

    fn start(&self, _worker: &str, _queues: &[String], stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        listen_postgres(&self.db, stop).into_iter().collect()
    }
}

/// On PostgreSQL, a LISTEN connection that wakes this process's workers when jobs are
/// enqueued (and, with Redis, its relay).
pub(crate) fn listen_postgres(
    db: &WriteConnection,
    mut stop: watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return None;
    }
    let db = db.clone();
    Some(tokio::spawn(async move {
        loop {
            let mut listener = match baseops_db::listener(&db).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot LISTEN for jobs; polling");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            if let Err(error) = listener.listen(NOTIFY_CHANNEL).await {
                tracing::warn!(%error, "cannot LISTEN for jobs; polling");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
            // Notifications sent while reconnecting are lost: look once.
            local().notify_waiters();
            loop {
                tokio::select! {
                    notification = listener.recv() => match notification {
                        Ok(_) => local().notify_waiters(),
                        Err(error) => {
                            tracing::warn!(%error, "job notifications interrupted; reconnecting");
                            break;
                        }
                    },
                    _ = stop.changed() => return,
                }
            }
        }
    }))
}
