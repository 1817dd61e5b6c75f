//! The queue and the worker, with the database backend and with the Redis backend (when
//! BASEOPS_TEST_REDIS_URL is set; skipped otherwise): enqueue in a transaction, retries, dead
//! jobs, de-duplication, lost workers, graceful shutdown, and many workers taking each job
//! once. Redis-only: a Redis that lost its data gets the jobs again from the database.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baseops_jobs::backend::Finished;
use baseops_jobs::model::job;
use baseops_jobs::queue::{self, state};
use baseops_jobs::redis::RedisQueue;
use baseops_jobs::worker::configured_queue;
use baseops_jobs::{
    Enqueue, Job, JobContext, JobError, Registry, Worker, WorkerConfig, enqueue, enqueue_many,
};
use baseops_test_support::{TestApp, run_worker_until};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Successful runs per job key, and when each attempt of a key started, shared with the test
/// through the worker's state.
#[derive(Clone, Default)]
struct Runs(Arc<Mutex<HashMap<String, u32>>>, Arc<Mutex<HashMap<String, Vec<Instant>>>>);

impl Runs {
    fn of(&self, key: &str) -> u32 {
        self.0.lock().unwrap().get(key).copied().unwrap_or(0)
    }

    fn total(&self) -> u32 {
        self.0.lock().unwrap().values().sum()
    }

    fn started(&self, key: &str) -> bool {
        self.1.lock().unwrap().contains_key(key)
    }

    /// The time between one attempt's start and the next's, for each retry of `key`.
    fn gaps(&self, key: &str) -> Vec<Duration> {
        let attempts = self.1.lock().unwrap().get(key).cloned().unwrap_or_default();
        attempts.windows(2).map(|pair| pair[1] - pair[0]).collect()
    }
}

#[derive(Serialize, Deserialize)]
struct Record {
    key: String,
    /// Fail (retryably) on this many first attempts.
    fail_first: i32,
    permanent: bool,
    sleep_ms: u64,
}

impl Record {
    fn new(key: &str) -> Self {
        Self { key: key.to_owned(), fail_first: 0, permanent: false, sleep_ms: 0 }
    }
}

#[async_trait::async_trait]
impl Job for Record {
    const NAME: &'static str = "test.record";
    const MAX_ATTEMPTS: i32 = 3;

    fn dedup_key(&self) -> Option<String> {
        self.key.strip_prefix("dedup:").map(str::to_owned)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let runs = ctx.state.extension::<Runs>().expect("runs");
        runs.1.lock().unwrap().entry(self.key.clone()).or_default().push(Instant::now());
        tokio::time::sleep(Duration::from_millis(self.sleep_ms)).await;
        if self.permanent {
            return Err(JobError::permanent("the address does not exist"));
        }
        if ctx.attempt <= self.fail_first {
            return Err(JobError::retry(format!("attempt {} failed", ctx.attempt)));
        }
        *runs.0.lock().unwrap().entry(self.key).or_default() += 1;
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Database,
    Redis,
}

/// The build on `backend`: Redis keys under a prefix of their own. `None` (the test is
/// skipped, or failed when Redis is required) for Redis when BASEOPS_TEST_REDIS_URL is not set.
async fn app(backend: Backend) -> Option<(TestApp, Runs)> {
    // Three workers in one process each hold a LISTEN connection on PostgreSQL, besides the
    // listeners the kit starts as `serve` does: more than the test configuration's five.
    let mut builder = TestApp::builder().setting("BASEOPS_DATABASE__MAX_CONNECTIONS", "10");
    if backend == Backend::Redis {
        let url = baseops_test_support::services::redis_url()?;
        let prefix = format!("test:{}:", Uuid::now_v7().simple());
        builder = builder
            .setting("BASEOPS_JOBS__BACKEND", "redis")
            .setting("BASEOPS_REDIS__URL", &url)
            .setting("BASEOPS_REDIS__KEY_PREFIX", &prefix);
    }
    Some((builder.build().await, Runs::default()))
}

/// A connection to the test Redis, and the job keys' prefix of `app`.
async fn redis_of(app: &TestApp) -> (redis::aio::MultiplexedConnection, String) {
    let client = redis::Client::open(std::env::var("BASEOPS_TEST_REDIS_URL").unwrap()).unwrap();
    let prefix = RedisQueue::from_settings(app.state()).unwrap().key_prefix().to_owned();
    (client.get_multiplexed_async_connection().await.unwrap(), prefix)
}

/// Deletes the test's Redis keys.
async fn forget_redis(app: &TestApp) {
    let (mut redis, prefix) = redis_of(app).await;
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut redis).await.unwrap();
    if !keys.is_empty() {
        redis::cmd("DEL").arg(keys).query_async::<()>(&mut redis).await.unwrap();
    }
}

async fn job_keys(app: &TestApp) -> Vec<String> {
    let (mut redis, prefix) = redis_of(app).await;
    redis::cmd("KEYS").arg(format!("{prefix}job:*")).query_async(&mut redis).await.unwrap()
}

async fn put(app: &TestApp, job: Record) -> Option<Uuid> {
    let txn = app.state().db().write().begin().await.unwrap();
    let id = enqueue(&txn, Enqueue::new(&job).unwrap()).await.unwrap();
    txn.commit().await.unwrap();
    id
}

fn config(id: &str) -> WorkerConfig {
    let mut config = WorkerConfig::new(vec!["default".to_owned()]);
    config.id = id.to_owned();
    config.poll = Duration::from_millis(50);
    config.backoff_base = Duration::from_millis(20);
    config.grace = Duration::from_secs(5);
    config
}

/// A worker of the test job, recording into `runs`.
fn worker(app: &TestApp, runs: &Runs, config: WorkerConfig) -> Worker {
    Worker::new(app.state_with(runs.clone()), Registry::new().register::<Record>(), config)
}

/// Runs a worker until `done` holds, then stops it; fails the test when it still does not after
/// 20 s, as what follows would check a state never reached (a job that never started passes
/// for one given back at shutdown).
async fn work_until(app: &TestApp, runs: &Runs, config: WorkerConfig, done: impl Fn() -> bool) {
    let held =
        run_worker_until(worker(app, runs, config), Duration::from_secs(20), || std::future::ready(done()))
            .await;
    assert!(held, "the worker did not get there within 20 s");
}

async fn row(app: &TestApp, id: Uuid) -> job::Model {
    job::Entity::find_by_id(id).one(app.state().db().read()).await.unwrap().unwrap()
}

/// Polls a future from a synchronous predicate (the predicates above run on the test's
/// runtime, so block in place).
fn block<F: std::future::Future<Output = bool> + Send + 'static>(future: F) -> bool {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

/// A predicate: `dead` jobs are dead.
fn dead_count(app: &TestApp, dead: i64) -> impl Fn() -> bool + use<> {
    let state = app.state().clone();
    move || {
        let db = state.db().read().clone();
        block(async move { queue::depth(&db).await.unwrap().dead == dead })
    }
}

/// Each scenario runs on both backends: `database::<name>` and `redis::<name>`.
macro_rules! on_both_backends {
    ($($name:ident: $threads:literal),* $(,)?) => {
        mod database {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
                async fn $name() {
                    super::$name(super::Backend::Database).await;
                }
            )*
        }
        mod redis_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
                async fn $name() {
                    super::$name(super::Backend::Redis).await;
                }
            )*
        }
    };
}

on_both_backends! {
    a_job_exists_exactly_when_its_transaction_commits: 2,
    failures_are_retried_with_back_off_then_dead: 2,
    a_live_duplicate_is_not_enqueued_again: 2,
    a_lost_workers_job_is_run_again_once_its_lease_runs_out: 2,
    shutdown_finishes_running_jobs_or_gives_them_back: 2,
    many_workers_run_each_job_exactly_once: 4,
    finished_jobs_past_retention_are_purged: 2,
}

async fn a_job_exists_exactly_when_its_transaction_commits(backend: Backend) {
    let Some((app, runs)) = app(backend).await else { return };
    let txn = app.state().db().write().begin().await.unwrap();
    enqueue(&txn, Enqueue::new(&Record::new("rolled-back")).unwrap()).await.unwrap();
    txn.rollback().await.unwrap();
    assert!(job::Entity::find().all(app.state().db().read()).await.unwrap().is_empty());

    let id = put(&app, Record::new("committed")).await.unwrap();
    work_until(&app, &runs, config("w1"), || runs.of("committed") == 1).await;
    let done = row(&app, id).await;
    assert_eq!(done.state, state::DONE);
    assert_eq!(done.attempts, 1);
    assert!(done.finished_at.is_some() && done.locked_by.is_none() && done.locked_until.is_none());
    assert_eq!(runs.of("rolled-back"), 0);
    if backend == Backend::Redis {
        assert!(job_keys(&app).await.is_empty(), "Redis kept a finished job");
        forget_redis(&app).await;
    }
}

async fn failures_are_retried_with_back_off_then_dead(backend: Backend) {
    let Some((app, runs)) = app(backend).await else { return };
    let flaky = put(&app, Record { fail_first: 2, ..Record::new("flaky") }).await.unwrap();
    let hopeless = put(&app, Record { fail_first: 10, ..Record::new("hopeless") }).await.unwrap();
    let refused = put(&app, Record { permanent: true, ..Record::new("refused") }).await.unwrap();
    let settled = dead_count(&app, 2);
    let counted = runs.clone();
    // A back-off far above the poll interval, so that a retry without one cannot pass for one.
    let mut patient = config("w1");
    patient.backoff_base = Duration::from_millis(200);
    work_until(&app, &runs, patient, move || counted.of("flaky") == 1 && settled()).await;
    let gaps = runs.gaps("flaky");
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert!(gaps[0] >= Duration::from_millis(200), "the first retry came early: {gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(400), "the back-off did not double: {gaps:?}");

    let flaky = row(&app, flaky).await;
    assert_eq!((flaky.state.as_str(), flaky.attempts), (state::DONE, 3));
    assert_eq!(flaky.last_error.as_deref(), Some("attempt 2 failed"));
    let hopeless = row(&app, hopeless).await;
    assert_eq!((hopeless.state.as_str(), hopeless.attempts), (state::DEAD, 3));
    assert_eq!(hopeless.last_error.as_deref(), Some("attempt 3 failed"));
    assert!(hopeless.finished_at.is_some());
    let refused = row(&app, refused).await;
    assert_eq!(
        (refused.state.as_str(), refused.attempts),
        (state::DEAD, 1),
        "a permanent failure was retried"
    );
    assert_eq!(refused.last_error.as_deref(), Some("the address does not exist"));
    assert_eq!(runs.of("hopeless"), 0);
    let depth = queue::depth(app.state().db().read()).await.unwrap();
    assert_eq!((depth.pending, depth.queued, depth.running, depth.dead), (0, 0, 0, 2));
    if backend == Backend::Redis {
        assert!(job_keys(&app).await.is_empty(), "Redis kept a finished job");
        forget_redis(&app).await;
    }
}

async fn a_live_duplicate_is_not_enqueued_again(backend: Backend) {
    let Some((app, runs)) = app(backend).await else { return };
    let first = put(&app, Record::new("dedup:report-2026-11-24")).await.unwrap();
    assert!(put(&app, Record::new("dedup:report-2026-11-24")).await.is_none(), "a duplicate was enqueued");
    if backend == Backend::Redis {
        // Relayed to Redis, the job still holds its key.
        let redis = RedisQueue::from_settings(app.state()).unwrap();
        assert_eq!(redis.relay_once(&["default".to_owned()]).await.unwrap(), 1);
        assert_eq!(row(&app, first).await.state, state::QUEUED);
        assert!(put(&app, Record::new("dedup:report-2026-11-24")).await.is_none(), "a queued key was free");
    }
    work_until(&app, &runs, config("w1"), || runs.of("dedup:report-2026-11-24") == 1).await;
    // Once done, the key is free again.
    assert!(put(&app, Record::new("dedup:report-2026-11-24")).await.is_some());
    if backend == Backend::Redis {
        forget_redis(&app).await;
    }
}

async fn a_lost_workers_job_is_run_again_once_its_lease_runs_out(backend: Backend) {
    let Some((app, runs)) = app(backend).await else { return };
    let id = put(&app, Record::new("orphan")).await.unwrap();
    let queues = ["default".to_owned()];
    if backend == Backend::Redis {
        RedisQueue::from_settings(app.state()).unwrap().relay_once(&queues).await.unwrap();
    }
    // A worker claims the job and dies without a word.
    let queue = configured_queue(app.state()).unwrap();
    let claimed = queue.claim("doomed", &queues, 10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        queue.claim("other", &queues, 10, Duration::from_secs(60)).await.unwrap().is_empty(),
        "a leased job was claimed twice"
    );
    // Its lease runs out (moved into the past rather than waited for, so a slow machine
    // cannot make the check above race the clock).
    match backend {
        Backend::Database => {
            job::Entity::update_many()
                .col_expr(
                    job::Column::LockedUntil,
                    Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
                )
                .filter(job::Column::Id.eq(id))
                .exec(app.state().db().write())
                .await
                .unwrap();
        }
        Backend::Redis => {
            let (mut redis, prefix) = redis_of(&app).await;
            let moved: i64 = redis::cmd("ZADD")
                .arg(format!("{prefix}running"))
                .arg("XX")
                .arg("CH")
                .arg(0)
                .arg(id.to_string())
                .query_async(&mut redis)
                .await
                .unwrap();
            assert_eq!(moved, 1, "the claimed job was not in the running set");
        }
    }
    work_until(&app, &runs, config("rescuer"), || runs.of("orphan") == 1).await;
    let done = row(&app, id).await;
    assert_eq!((done.state.as_str(), done.attempts), (state::DONE, 2));
    let late = queue.complete("doomed", &[Finished { id, keep_input: true }]).await.unwrap();
    assert_eq!(late, 0, "the lost worker could still complete it");
    assert_eq!(runs.of("orphan"), 1);
    if backend == Backend::Redis {
        forget_redis(&app).await;
    }
}

async fn shutdown_finishes_running_jobs_or_gives_them_back(backend: Backend) {
    let Some((app, runs)) = app(backend).await else { return };
    let quick = put(&app, Record { sleep_ms: 300, ..Record::new("quick") }).await.unwrap();
    // Stop as soon as the job is running: it still completes within the grace period.
    let counted = runs.clone();
    work_until(&app, &runs, config("w1"), move || counted.started("quick")).await;
    assert_eq!(row(&app, quick).await.state, state::DONE);
    assert_eq!(runs.of("quick"), 1);

    let slow = put(&app, Record { sleep_ms: 5_000, ..Record::new("slow") }).await.unwrap();
    let mut impatient = config("w2");
    impatient.grace = Duration::from_millis(100);
    let counted = runs.clone();
    work_until(&app, &runs, impatient, move || counted.started("slow")).await;
    assert_eq!(runs.of("slow"), 0);
    let given_back = row(&app, slow).await;
    assert!(given_back.locked_by.is_none());
    match backend {
        Backend::Database => {
            assert_eq!((given_back.state.as_str(), given_back.attempts), (state::PENDING, 0));
        }
        Backend::Redis => {
            // Ready again in Redis, the attempt not counted; the row stays Redis's.
            assert_eq!(given_back.state, state::QUEUED);
            let (mut redis, prefix) = redis_of(&app).await;
            let running: Option<f64> = redis::cmd("ZSCORE")
                .arg(format!("{prefix}running"))
                .arg(slow.to_string())
                .query_async(&mut redis)
                .await
                .unwrap();
            let ready: Option<f64> = redis::cmd("ZSCORE")
                .arg(format!("{prefix}ready:default"))
                .arg(slow.to_string())
                .query_async(&mut redis)
                .await
                .unwrap();
            let attempts: i64 = redis::cmd("HGET")
                .arg(format!("{prefix}job:{slow}"))
                .arg("attempts")
                .query_async(&mut redis)
                .await
                .unwrap();
            assert_eq!((running, ready.is_some(), attempts), (None, true, 0));
            forget_redis(&app).await;
        }
    }
}

async fn many_workers_run_each_job_exactly_once(backend: Backend) {
    let Some((app, runs)) = app(backend).await else { return };
    for n in 0..200 {
        put(&app, Record::new(&format!("job-{n}"))).await;
    }
    let mut handles = Vec::new();
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    for name in ["a", "b", "c"] {
        let worker = worker(&app, &runs, config(name));
        let mut stopped = stop.subscribe();
        handles.push(tokio::spawn(worker.run(async move {
            let _ = stopped.recv().await;
        })));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let all_done = || async {
        let rows = job::Entity::find().all(app.state().db().read()).await.unwrap();
        rows.iter().all(|row| row.state == state::DONE)
    };
    while (runs.total() < 200 || !all_done().await) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    assert_eq!(runs.total(), 200);
    assert!((0..200).all(|n| runs.of(&format!("job-{n}")) == 1), "a job ran twice");
    let rows = job::Entity::find().all(app.state().db().read()).await.unwrap();
    assert!(rows.iter().all(|row| row.state == state::DONE && row.attempts == 1));
    if backend == Backend::Redis {
        forget_redis(&app).await;
    }
}

async fn finished_jobs_past_retention_are_purged(backend: Backend) {
    use baseops_jobs::admin::{purge, retry_dead};

    let Some((app, runs)) = app(backend).await else { return };
    let done = put(&app, Record::new("old")).await.unwrap();
    let dead = put(&app, Record { permanent: true, ..Record::new("broken") }).await.unwrap();
    let settled = dead_count(&app, 1);
    let counted = runs.clone();
    work_until(&app, &runs, config("w1"), move || counted.of("old") == 1 && settled()).await;
    let db = app.state().db().write();
    assert_eq!(
        purge(db, chrono::Utc::now() - chrono::Duration::days(1)).await.unwrap(),
        0,
        "purged recent jobs"
    );
    assert_eq!(retry_dead(db, Some(dead)).await.unwrap(), 1);
    assert_eq!(row(&app, dead).await.state, state::PENDING);
    assert_eq!(purge(db, chrono::Utc::now() + chrono::Duration::seconds(1)).await.unwrap(), 1);
    assert!(job::Entity::find_by_id(done).one(db).await.unwrap().is_none());
    if backend == Backend::Redis {
        forget_redis(&app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_jobs_enqueue_in_one_statement_and_keep_their_keys() {
    let (app, runs) = app(Backend::Database).await.unwrap();
    let txn = app.state().db().write().begin().await.unwrap();
    let first = enqueue(&txn, Enqueue::new(&Record::new("dedup:taken")).unwrap()).await.unwrap();
    let mut jobs: Vec<Enqueue> =
        (0..1_200).map(|n| Enqueue::new(&Record::new(&format!("bulk-{n}"))).unwrap()).collect();
    jobs.insert(3, Enqueue::new(&Record::new("dedup:taken")).unwrap());
    jobs.insert(5, Enqueue::new(&Record::new("dedup:once")).unwrap());
    jobs.insert(7, Enqueue::new(&Record::new("dedup:once")).unwrap());
    let ids = enqueue_many(&txn, jobs).await.unwrap();
    txn.commit().await.unwrap();

    assert!(first.is_some());
    assert_eq!(ids.len(), 1_203);
    assert_eq!((ids[3], ids[5].is_some(), ids[7]), (None, true, None), "a live key was enqueued twice");
    let rows = job::Entity::find().all(app.state().db().read()).await.unwrap();
    assert_eq!(rows.len(), 1_202);
    let stored: HashSet<Uuid> = rows.iter().map(|row| row.id).collect();
    assert!(ids.iter().flatten().all(|id| stored.contains(id)), "an id that was not stored");
    let counted = runs.clone();
    work_until(&app, &runs, config("w1"), move || counted.total() == 1_202).await;
    assert_eq!(runs.of("bulk-1199"), 1);

    let txn = app.state().db().write().begin().await.unwrap();
    let too_many = (0..=queue::MAX_ENQUEUE_MANY).map(|_| Enqueue::new(&Record::new("x")).unwrap()).collect();
    assert!(enqueue_many(&txn, too_many).await.is_err(), "an unbounded batch was taken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_redis_lost_are_relayed_again_from_the_database() {
    let Some((app, runs)) = app(Backend::Redis).await else { return };
    let id = put(&app, Record::new("survivor")).await.unwrap();
    let redis = RedisQueue::from_settings(app.state()).unwrap();
    assert_eq!(redis.relay_once(&["default".to_owned()]).await.unwrap(), 1);
    assert_eq!(row(&app, id).await.state, state::QUEUED);
    // Redis restarts empty; the sweep finds the row once its relay lease has run out (moved
    // into the past instead of waited for).
    forget_redis(&app).await;
    assert_eq!(redis.sweep().await.unwrap(), 0, "a live relay lease was swept");
    job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .filter(job::Column::Id.eq(id))
        .exec(app.state().db().write())
        .await
        .unwrap();
    assert_eq!(redis.sweep().await.unwrap(), 1);
    assert_eq!(row(&app, id).await.state, state::PENDING);
    work_until(&app, &runs, config("w1"), || runs.of("survivor") == 1).await;
    let done = row(&app, id).await;
    assert_eq!((done.state.as_str(), done.attempts), (state::DONE, 1));
    forget_redis(&app).await;
}
