//! The worker: claims due jobs, runs them with a time limit, records the outcome, renews
//! the leases of running jobs, and on shutdown finishes or gives back what it holds.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use baseops_core::AppState;
use sea_orm::DbErr;
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::job::{JobContext, JobError, Registry};
use crate::model::job;
use crate::queue::{self, NOTIFY_CHANNEL};
use crate::schedule::Schedule;

/// Wakes idle workers of this process (SQLite enqueues, and PostgreSQL notifications).
fn local() -> &'static Notify {
    static LOCAL: OnceLock<Notify> = OnceLock::new();
    LOCAL.get_or_init(Notify::new)
}

/// Tells this process's idle workers that a job may be waiting.
pub fn wake_local() {
    local().notify_waiters();
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Queues to take jobs from.
    pub queues: Vec<String>,
    /// Jobs run at once.
    pub concurrency: usize,
    /// How long a claimed job stays ours without a heartbeat.
    pub lease: Duration,
    /// How often an idle worker looks for due jobs without being woken.
    pub poll: Duration,
    /// How long shutdown waits for running jobs before giving them back.
    pub grace: Duration,
    /// This worker's name in `locked_by`.
    pub id: String,
    /// The first retry's delay; each further one doubles it.
    pub backoff_base: Duration,
    /// Recurring jobs this worker helps enqueue (each tick is enqueued once in all).
    pub schedules: Vec<Schedule>,
}

impl WorkerConfig {
    /// From the `[jobs]` settings, with recurring `schedules` (see [`crate::schedule::resolve`]).
    pub fn from_settings(settings: &baseops_config::JobsSettings, schedules: Vec<Schedule>) -> Self {
        Self {
            concurrency: settings.concurrency.max(1),
            lease: Duration::from_secs(settings.lease_secs.max(1)),
            poll: Duration::from_millis(settings.poll_interval_ms.max(10)),
            backoff_base: Duration::from_millis(settings.backoff_base_ms),
            schedules,
            ..Self::new(settings.queues.clone())
        }
    }

    /// Defaults for `queues`: 4 at once, 5-minute lease, 1-second poll, 30-second grace.
    pub fn new(queues: Vec<String>) -> Self {
        Self {
            queues,
            concurrency: 4,
            lease: Duration::from_secs(300),
            poll: Duration::from_secs(1),
            grace: Duration::from_secs(30),
            backoff_base: Duration::from_secs(1),
            schedules: Vec::new(),
            id: format!("{}-{}", hostname(), Uuid::now_v7().simple()),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().chars().take(24).collect())
        .unwrap_or_else(|_| "worker".to_owned())
}

/// A worker over the application's database.
pub struct Worker {
    state: AppState,
    registry: Arc<Registry>,
    config: WorkerConfig,
}

impl Worker {
    /// A worker that runs `registry`'s jobs.
    pub fn new(state: AppState, registry: Registry, config: WorkerConfig) -> Self {
        Self { state, registry: Arc::new(registry), config }
    }

    /// Runs until `shutdown` resolves, then finishes running jobs for up to the grace period
    /// and gives back the rest.
    ///
    /// # Errors
    /// Database errors while claiming (job failures are recorded, not returned).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), DbErr> {
        let (stop_tx, mut stop) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
            wake_local();
        });
        let listener = self.listen_postgres(stop.clone());
        let running: Arc<Mutex<HashSet<Uuid>>> = Arc::default();
        let heartbeat = self.heartbeat(running.clone(), stop.clone());
        let scheduler = self.scheduler(stop.clone());
        let permits = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let db = self.state.db().write().clone();
        let (done, completer) = self.completer(running.clone());
        tracing::info!(worker = %self.config.id, queues = ?self.config.queues, concurrency = self.config.concurrency, "worker started");

        while !*stop.borrow() {
            while tasks.try_join_next().is_some() {}
            let free = permits.available_permits();
            if free == 0 {
                tokio::select! {
                    _ = tasks.join_next() => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            let wake = local().notified();
            // Claim one batch ahead of the free tasks: fewer claim transactions per job.
            let ahead = (free + self.config.concurrency).min(MAX_CLAIM) as u64;
            let claimed =
                queue::claim(&db, &self.config.id, &self.config.queues, ahead, self.config.lease).await;
            let jobs = match claimed {
                Ok(jobs) => jobs,
                Err(error) => {
                    tracing::error!(%error, "cannot claim jobs; retrying");
                    tokio::time::sleep(self.config.poll).await;
                    continue;
                }
            };
            if jobs.is_empty() {
                tokio::select! {
                    () = wake => {}
                    () = tokio::time::sleep(self.config.poll) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            running.lock().expect("running set").extend(jobs.iter().map(|found| found.id));
            for found in jobs {
                let permit = permits.clone().acquire_owned().await.expect("the semaphore is never closed");
                let (state, registry, worker, running, backoff, done) = (
                    self.state.clone(),
                    self.registry.clone(),
                    self.config.id.clone(),
                    running.clone(),
                    self.config.backoff_base,
                    done.clone(),
                );
                tasks.spawn(async move {
                    let id = found.id;
                    // Successes leave the running set when their completion is written.
                    if !run_one(&state, &registry, &worker, found, backoff, &done).await {
                        running.lock().expect("running set").remove(&id);
                    }
                    drop(permit);
                });
            }
        }

        let deadline = tokio::time::sleep(self.config.grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                next = tasks.join_next() => if next.is_none() { break },
                () = &mut deadline => {
                    tasks.abort_all();
                    while tasks.join_next().await.is_some() {}
                    tracing::warn!("grace period over: giving running jobs back");
                    break;
                }
            }
        }
        drop(done);
        let _ = completer.await;
        let unfinished: Vec<Uuid> = running.lock().expect("running set").drain().collect();
        queue::release(&db, &self.config.id, unfinished).await?;
        heartbeat.abort();
        scheduler.abort();
        if let Some(listener) = listener {
            listener.abort();
        }
        tracing::info!(worker = %self.config.id, "worker stopped");
        Ok(())
    }

    /// Writes completions in batches: whatever finished while the previous batch was being
    /// written goes in the next single UPDATE.
    fn completer(
        &self,
        running: Arc<Mutex<HashSet<Uuid>>>,
    ) -> (mpsc::UnboundedSender<Completion>, tokio::task::JoinHandle<()>) {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Completion>();
        let db = self.state.db().write().clone();
        let worker = self.config.id.clone();
        let handle = tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_COMPLETION_BATCH {
                    match receiver.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                for keep_input in [true, false] {
                    let ids: Vec<Uuid> =
                        batch.iter().filter(|c| c.keep_input == keep_input).map(|c| c.id).collect();
                    if let Err(error) = queue::complete_many(&db, &worker, ids, keep_input).await {
                        tracing::error!(%error, "cannot record finished jobs; their leases will expire and they run again");
                    }
                }
                let mut running = running.lock().expect("running set");
                for completion in &batch {
                    running.remove(&completion.id);
                }
            }
        });
        (sender, handle)
    }

    fn heartbeat(
        &self,
        running: Arc<Mutex<HashSet<Uuid>>>,
        mut stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let db = self.state.db().write().clone();
        let (worker, lease) = (self.config.id.clone(), self.config.lease);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(lease / 3);
            every.tick().await;
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stop.changed() => {}
                }
                let ids: Vec<Uuid> = running.lock().expect("running set").iter().copied().collect();
                if let Err(error) = queue::heartbeat(&db, &worker, ids, lease).await {
                    tracing::warn!(%error, "cannot renew job leases");
                }
            }
        })
    }

    fn scheduler(&self, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let db = self.state.db().write().clone();
        let schedules = self.config.schedules.clone();
        tokio::spawn(async move {
            if schedules.is_empty() {
                return;
            }
            let mut every = tokio::time::interval(Duration::from_secs(10));
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stop.changed() => return,
                }
                if let Err(error) = crate::schedule::run_due(&db, &schedules, chrono::Utc::now()).await {
                    tracing::warn!(%error, "cannot enqueue recurring jobs");
                }
            }
        })
    }

    /// On PostgreSQL, a LISTEN connection that wakes this process when jobs are enqueued.
    fn listen_postgres(&self, mut stop: watch::Receiver<bool>) -> Option<tokio::task::JoinHandle<()>> {
        let db = self.state.db().write();
        if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return None;
        }
        let pool = db.get_postgres_connection_pool().clone();
        Some(tokio::spawn(async move {
            loop {
                let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
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
                loop {
                    tokio::select! {
                        notification = listener.recv() => match notification {
                            Ok(_) => wake_local(),
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
}

/// A job that succeeded, waiting for its completion to be written.
struct Completion {
    id: Uuid,
    keep_input: bool,
}

/// Most jobs claimed at once.
const MAX_CLAIM: usize = 100;
/// Most completions written in one statement.
const MAX_COMPLETION_BATCH: usize = 500;

/// Runs one job and records a failure; a success is handed to the completer. Returns whether
/// the job succeeded.
async fn run_one(
    state: &AppState,
    registry: &Registry,
    worker: &str,
    found: job::Model,
    backoff: Duration,
    done: &mpsc::UnboundedSender<Completion>,
) -> bool {
    let db = state.db().write();
    let started = Instant::now();
    let ctx = JobContext {
        state: state.clone(),
        job_id: found.id,
        attempt: found.attempts,
        organization_id: found.organization_id,
        request_id: found.request_id.clone(),
    };
    let span = tracing::info_span!("job", id = %found.id, name = %found.name, attempt = found.attempts, request_id = found.request_id.as_deref().unwrap_or(""));
    let outcome = if found.attempts > found.max_attempts {
        Err(JobError::Permanent("the worker running the last attempt was lost".into()))
    } else {
        let limit = Duration::from_secs(u64::try_from(found.timeout_secs).unwrap_or(300));
        let run =
            tracing::Instrument::instrument(registry.run(&found.name, &found.payload, &ctx), span.clone());
        match tokio::time::timeout(limit, run).await {
            Ok(result) => result,
            Err(_) => Err(JobError::Retry(format!("timed out after {} s", limit.as_secs()))),
        }
    };
    let name = found.name.clone();
    let recorded = match &outcome {
        Ok(()) => {
            let completion = Completion { id: found.id, keep_input: registry.keeps_input(&found.name) };
            Ok(if done.send(completion).is_ok() { "done" } else { "lost" })
        }
        Err(error) => {
            let permanent = matches!(error, JobError::Permanent(_));
            let _enter = span.enter();
            tracing::warn!(%error, permanent, "job failed");
            queue::fail(db, worker, &found, &error.to_string(), permanent, backoff)
                .await
                .map(|next| if next == queue::state::DEAD { "dead" } else { "retry" })
        }
    };
    match recorded {
        Ok(outcome) => {
            metrics::counter!("jobs_finished_total", "name" => name.clone(), "outcome" => outcome)
                .increment(1);
            metrics::histogram!("job_duration_seconds", "name" => name)
                .record(started.elapsed().as_secs_f64());
        }
        Err(error) => {
            tracing::error!(%error, job = %found.id, "cannot record the job's outcome; its lease will expire")
        }
    }
    outcome.is_ok()
}
