//! The worker: claims due jobs from its [`JobQueue`] (the database, or Redis), runs them with
//! a time limit, records the outcome, renews the leases of running jobs, and on shutdown
//! finishes or gives back what it holds.
//!
//! Per job it does as little as it can: claims come in batches (larger ones while jobs are
//! quick), successes are recorded in batches by one completer task, and metric handles are
//! looked up once per job name.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use baseops_config::JobsBackend;
use baseops_core::AppState;
use sea_orm::DbErr;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::backend::{DatabaseQueue, Finished, JobQueue, QueueError, local};
use crate::job::{JobContext, JobError, Registry};
use crate::queue::{self, Claimed};
use crate::schedule::Schedule;

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

/// A worker over the configured queue (`jobs.backend`).
pub struct Worker {
    state: AppState,
    registry: Arc<Registry>,
    config: WorkerConfig,
    queue: Result<Arc<dyn JobQueue>, String>,
}

/// The queue `jobs.backend` asks for: the database, or Redis at `redis.url`.
///
/// # Errors
/// Redis without a URL, or a URL that does not parse.
pub fn configured_queue(state: &AppState) -> Result<Arc<dyn JobQueue>, QueueError> {
    let settings = state.settings();
    match settings.jobs.backend {
        JobsBackend::Database => Ok(Arc::new(DatabaseQueue::new(state.db().write().clone()))),
        JobsBackend::Redis => Ok(Arc::new(crate::redis::RedisQueue::from_settings(state)?)),
    }
}

impl Worker {
    /// A worker that runs `registry`'s jobs from the queue the settings name.
    pub fn new(state: AppState, registry: Registry, config: WorkerConfig) -> Self {
        let queue = configured_queue(&state).map_err(|error| error.to_string());
        Self { state, registry: Arc::new(registry), config, queue }
    }

    /// A worker on a given queue (another backend, or one set up by a test).
    pub fn with_queue(
        state: AppState,
        registry: Registry,
        config: WorkerConfig,
        queue: Arc<dyn JobQueue>,
    ) -> Self {
        Self { state, registry: Arc::new(registry), config, queue: Ok(queue) }
    }

    /// Runs until `shutdown` resolves, then finishes running jobs for up to the grace period
    /// and gives back the rest.
    ///
    /// # Errors
    /// A queue that cannot be set up, or that fails while giving jobs back at shutdown (job
    /// failures are recorded, not returned). Errors of Redis come as [`DbErr::Custom`], so
    /// callers handle one error type whatever the backend.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), DbErr> {
        let queue = match &self.queue {
            Ok(queue) => queue.clone(),
            Err(error) => return Err(DbErr::Custom(error.clone())),
        };
        let (stop_tx, mut stop) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
            wake_local();
        });
        let background = queue.start(&self.config.id, &self.config.queues, stop.clone());
        let running: Arc<Mutex<HashSet<Uuid>>> = Arc::default();
        let heartbeat = self.heartbeat(&queue, running.clone(), stop.clone());
        let scheduler = self.scheduler(stop.clone());
        let concurrency = self.config.concurrency.max(1);
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut tasks = JoinSet::new();
        let (done, completer) = self.completer(&queue, running.clone());
        let shared = Arc::new(Shared {
            state: self.state.clone(),
            registry: self.registry.clone(),
            queue: queue.clone(),
            worker: self.config.id.clone(),
            backoff: self.config.backoff_base,
            done,
            metrics: MetricsByName::default(),
            average_micros: AtomicU64::new(u64::MAX),
        });
        tracing::info!(worker = %self.config.id, queues = ?self.config.queues, concurrency, "worker started");

        // After work or a wake-up, an empty claim is retried after 2, 4, … 64 ms before the
        // worker waits a whole poll interval: jobs committed just after a notification that
        // stood for them (see `queue::enqueue`) are taken at once.
        let mut linger: Option<Duration> = None;
        'work: while !*stop.borrow() {
            while tasks.try_join_next().is_some() {}
            let free = permits.available_permits();
            if free == 0 {
                tokio::select! {
                    _ = tasks.join_next() => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            let wait = linger.filter(|_| queue.lingers()).unwrap_or(self.config.poll).min(self.config.poll);
            let wake = queue.wake(&self.config.queues, wait);
            let limit = claim_size(free, concurrency, shared.average());
            let jobs = match queue.claim(&self.config.id, &self.config.queues, limit, self.config.lease).await
            {
                Ok(jobs) => jobs,
                Err(error) => {
                    tracing::error!(%error, "cannot claim jobs; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(self.config.poll) => {}
                        _ = stop.changed() => {}
                    }
                    continue;
                }
            };
            if jobs.is_empty() {
                let woken = tokio::select! {
                    woken = wake => woken,
                    _ = stop.changed() => false,
                };
                linger = if woken {
                    Some(LINGER_FIRST)
                } else {
                    linger.map(|step| step * 2).filter(|step| *step <= LINGER_LAST)
                };
                continue;
            }
            linger = Some(LINGER_FIRST);
            running.lock().expect("running set").extend(jobs.iter().map(|found| found.id));
            for found in jobs {
                // Claimed jobs not started when shutdown begins stay in the running set and
                // are given back below.
                let permit = tokio::select! {
                    permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
                    _ = stop.changed() => break 'work,
                };
                let (shared, running) = (shared.clone(), running.clone());
                tasks.spawn(async move {
                    let id = found.id;
                    // Successes leave the running set when their completion is written.
                    if !run_one(&shared, found).await {
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
        // The completer ends when the last sender (held by `shared`) is gone.
        drop(shared);
        let _ = completer.await;
        let unfinished: Vec<Uuid> = running.lock().expect("running set").drain().collect();
        let released = queue.release(&self.config.id, &unfinished).await;
        heartbeat.abort();
        scheduler.abort();
        // They end on the stop signal (a relay hands its lock over); do not wait long.
        for mut task in background {
            if tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err() {
                task.abort();
            }
        }
        tracing::info!(worker = %self.config.id, "worker stopped");
        released.map_err(DbErr::from)
    }

    /// Writes completions in batches: whatever finished while the previous batch was being
    /// written goes in the next one.
    fn completer(
        &self,
        queue: &Arc<dyn JobQueue>,
        running: Arc<Mutex<HashSet<Uuid>>>,
    ) -> (mpsc::UnboundedSender<Finished>, tokio::task::JoinHandle<()>) {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Finished>();
        let queue = queue.clone();
        let worker = self.config.id.clone();
        let handle = tokio::spawn(async move {
            let mut batch = Vec::new();
            while receiver.recv_many(&mut batch, MAX_COMPLETION_BATCH).await > 0 {
                if let Err(error) = queue.complete(&worker, &batch).await {
                    tracing::error!(%error, "cannot record finished jobs; they run again once their leases expire");
                }
                let mut running = running.lock().expect("running set");
                for finished in batch.drain(..) {
                    running.remove(&finished.id);
                }
            }
        });
        (sender, handle)
    }

    fn heartbeat(
        &self,
        queue: &Arc<dyn JobQueue>,
        running: Arc<Mutex<HashSet<Uuid>>>,
        mut stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let queue = queue.clone();
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
                if let Err(error) = queue.heartbeat(&worker, &ids, lease).await {
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
}

/// Most jobs claimed at once.
const MAX_CLAIM: usize = 100;
/// Most completions written at once.
const MAX_COMPLETION_BATCH: usize = 500;
/// Jobs quicker than this on average are claimed [`MAX_CLAIM`] at a time: holding them
/// ahead costs other workers little, and it saves a claim per few jobs.
const QUICK_JOB: Duration = Duration::from_millis(5);
/// The first and last retry delays of an empty claim after work or a wake-up.
const LINGER_FIRST: Duration = Duration::from_millis(2);
const LINGER_LAST: Duration = Duration::from_millis(64);

/// How many jobs to claim with `free` idle tasks: one batch ahead of them, or a full claim
/// while jobs are quick.
fn claim_size(free: usize, concurrency: usize, average: Option<Duration>) -> usize {
    let ahead = free + concurrency;
    let size = if average.is_some_and(|average| average < QUICK_JOB) { MAX_CLAIM } else { ahead };
    size.clamp(1, MAX_CLAIM)
}

/// What every running job of a worker shares.
struct Shared {
    state: AppState,
    registry: Arc<Registry>,
    queue: Arc<dyn JobQueue>,
    worker: String,
    backoff: Duration,
    done: mpsc::UnboundedSender<Finished>,
    metrics: MetricsByName,
    /// Average run time in µs (`u64::MAX` until a job ran).
    average_micros: AtomicU64,
}

impl Shared {
    fn average(&self) -> Option<Duration> {
        match self.average_micros.load(Ordering::Relaxed) {
            u64::MAX => None,
            micros => Some(Duration::from_micros(micros)),
        }
    }

    fn record_duration(&self, took: Duration) {
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX - 1).min(u64::MAX - 1);
        let previous = self.average_micros.load(Ordering::Relaxed);
        // A moving average over about eight jobs; racing updates lose a sample, no more.
        let next = if previous == u64::MAX { sample } else { (previous * 7 + sample) / 8 };
        self.average_micros.store(next, Ordering::Relaxed);
    }
}

/// One job name's metric handles, registered once instead of per job.
struct JobMetrics {
    done: metrics::Counter,
    retry: metrics::Counter,
    dead: metrics::Counter,
    lost: metrics::Counter,
    duration: metrics::Histogram,
}

/// Metric handles by job name. Names come from stored rows, so the map is capped.
#[derive(Default)]
struct MetricsByName(RwLock<HashMap<String, Arc<JobMetrics>>>);

const MAX_METRIC_NAMES: usize = 1_000;

impl MetricsByName {
    fn of(&self, name: &str) -> Arc<JobMetrics> {
        if let Some(found) = self.0.read().expect("metrics map").get(name) {
            return found.clone();
        }
        let counter = |outcome: &'static str| metrics::counter!("jobs_finished_total", "name" => name.to_owned(), "outcome" => outcome);
        let handles = Arc::new(JobMetrics {
            done: counter("done"),
            retry: counter("retry"),
            dead: counter("dead"),
            lost: counter("lost"),
            duration: metrics::histogram!("job_duration_seconds", "name" => name.to_owned()),
        });
        let mut map = self.0.write().expect("metrics map");
        if map.len() < MAX_METRIC_NAMES {
            map.insert(name.to_owned(), handles.clone());
        }
        handles
    }
}

/// Runs one job and records a failure; a success is handed to the completer. Returns whether
/// the job succeeded.
async fn run_one(shared: &Shared, found: Claimed) -> bool {
    let started = Instant::now();
    let ctx = JobContext {
        state: shared.state.clone(),
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
        let run = tracing::Instrument::instrument(
            shared.registry.run(&found.name, &found.payload, &ctx),
            span.clone(),
        );
        match tokio::time::timeout(limit, run).await {
            Ok(result) => result,
            Err(_) => Err(JobError::Retry(format!("timed out after {} s", limit.as_secs()))),
        }
    };
    let took = started.elapsed();
    shared.record_duration(took);
    let metrics = shared.metrics.of(&found.name);
    let recorded = match &outcome {
        Ok(()) => {
            let finished = Finished { id: found.id, keep_input: shared.registry.keeps_input(&found.name) };
            Ok(if shared.done.send(finished).is_ok() { &metrics.done } else { &metrics.lost })
        }
        Err(error) => {
            let permanent = matches!(error, JobError::Permanent(_));
            let _enter = span.enter();
            tracing::warn!(%error, permanent, "job failed");
            shared
                .queue
                .fail(&shared.worker, &found, &error.to_string(), permanent, shared.backoff)
                .await
                .map(|next| if next == queue::state::DEAD { &metrics.dead } else { &metrics.retry })
        }
    };
    match recorded {
        Ok(counter) => {
            counter.increment(1);
            metrics.duration.record(took.as_secs_f64());
        }
        Err(error) => {
            tracing::error!(%error, job = %found.id, "cannot record the job's outcome; its lease will expire")
        }
    }
    outcome.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_jobs_are_claimed_in_larger_batches() {
        assert_eq!(claim_size(4, 4, None), 8, "unknown jobs: one batch ahead");
        assert_eq!(claim_size(1, 4, Some(Duration::from_secs(2))), 5);
        assert_eq!(claim_size(1, 1, Some(Duration::from_micros(50))), MAX_CLAIM);
        assert_eq!(claim_size(400, 400, None), MAX_CLAIM);
    }
}
