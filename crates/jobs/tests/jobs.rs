//! The queue and the worker on a real database (SQLite, or PostgreSQL with
//! BASEOPS_TEST_DATABASE_URL): enqueue in a transaction, retries, dead jobs, de-duplication,
//! lost workers, graceful shutdown, and many workers taking each job once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baseops_jobs::model::job;
use baseops_jobs::queue::{self, state};
use baseops_jobs::{Enqueue, Job, JobContext, JobError, Registry, Worker, WorkerConfig, enqueue};
use baseops_test_support::TestApp;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Runs per job key, shared with the test through the application state.
#[derive(Clone, Default)]
struct Runs(Arc<Mutex<HashMap<String, u32>>>);

impl Runs {
    fn of(&self, key: &str) -> u32 {
        self.0.lock().unwrap().get(key).copied().unwrap_or(0)
    }

    fn total(&self) -> u32 {
        self.0.lock().unwrap().values().sum()
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
        tokio::time::sleep(Duration::from_millis(self.sleep_ms)).await;
        if self.permanent {
            return Err(JobError::permanent("the address does not exist"));
        }
        if ctx.attempt <= self.fail_first {
            return Err(JobError::retry(format!("attempt {} failed", ctx.attempt)));
        }
        let runs = ctx.state.extension::<Runs>().expect("runs");
        *runs.0.lock().unwrap().entry(self.key).or_default() += 1;
        Ok(())
    }
}

async fn app() -> (TestApp, Runs) {
    let app = TestApp::builder()
        .apps(vec![baseops_jobs::app()])
        .prepare(|state| state.with_extension(Runs::default()))
        .build()
        .await;
    let runs = app.state().extension::<Runs>().unwrap().clone();
    (app, runs)
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

/// Runs a worker until `done` holds (or 20 s pass), then stops it.
async fn work_until(app: &TestApp, config: WorkerConfig, done: impl Fn() -> bool) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = Worker::new(app.state().clone(), Registry::new().register::<Record>(), config);
    let handle = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !done() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    handle.await.unwrap().unwrap();
}

async fn row(app: &TestApp, id: Uuid) -> job::Model {
    job::Entity::find_by_id(id).one(app.state().db().read()).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_job_exists_exactly_when_its_transaction_commits() {
    let (app, runs) = app().await;
    let txn = app.state().db().write().begin().await.unwrap();
    enqueue(&txn, Enqueue::new(&Record::new("rolled-back")).unwrap()).await.unwrap();
    txn.rollback().await.unwrap();
    assert!(job::Entity::find().all(app.state().db().read()).await.unwrap().is_empty());

    let id = put(&app, Record::new("committed")).await.unwrap();
    work_until(&app, config("w1"), || runs.of("committed") == 1).await;
    let done = row(&app, id).await;
    assert_eq!(done.state, state::DONE);
    assert_eq!(done.attempts, 1);
    assert!(done.finished_at.is_some() && done.locked_by.is_none());
    assert_eq!(runs.of("rolled-back"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_with_back_off_then_dead() {
    let (app, runs) = app().await;
    let flaky = put(&app, Record { fail_first: 2, ..Record::new("flaky") }).await.unwrap();
    let hopeless = put(&app, Record { fail_first: 10, ..Record::new("hopeless") }).await.unwrap();
    let refused = put(&app, Record { permanent: true, ..Record::new("refused") }).await.unwrap();
    let app_state = app.state().clone();
    let settled = move || {
        let db = app_state.db().read().clone();
        futures_lite_block(async move { queue::depth(&db).await.unwrap().dead == 2 })
    };
    work_until(&app, config("w1"), move || runs.of("flaky") == 1 && settled()).await;

    let runs = app.state().extension::<Runs>().unwrap().clone();
    let flaky = row(&app, flaky).await;
    assert_eq!((flaky.state.as_str(), flaky.attempts), (state::DONE, 3));
    let hopeless = row(&app, hopeless).await;
    assert_eq!((hopeless.state.as_str(), hopeless.attempts), (state::DEAD, 3));
    assert_eq!(hopeless.last_error.as_deref(), Some("attempt 3 failed"));
    let refused = row(&app, refused).await;
    assert_eq!(
        (refused.state.as_str(), refused.attempts),
        (state::DEAD, 1),
        "a permanent failure was retried"
    );
    assert_eq!(runs.of("hopeless"), 0);
    let depth = queue::depth(app.state().db().read()).await.unwrap();
    assert_eq!((depth.pending, depth.running, depth.dead), (0, 0, 2));
}

#[tokio::test]
async fn a_live_duplicate_is_not_enqueued_again() {
    let (app, runs) = app().await;
    let first = put(&app, Record::new("dedup:report-2026-11-24")).await;
    assert!(first.is_some());
    assert!(put(&app, Record::new("dedup:report-2026-11-24")).await.is_none(), "a duplicate was enqueued");
    work_until(&app, config("w1"), || runs.of("dedup:report-2026-11-24") == 1).await;
    // Once done, the key is free again.
    assert!(put(&app, Record::new("dedup:report-2026-11-24")).await.is_some());
}

#[tokio::test]
async fn a_lost_workers_job_is_run_again_once_its_lease_runs_out() {
    let (app, runs) = app().await;
    let id = put(&app, Record::new("orphan")).await.unwrap();
    // A worker claims the job and dies without a word.
    let db = app.state().db().write();
    let claimed =
        queue::claim(db, "doomed", &["default".to_owned()], 10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        queue::claim(db, "other", &["default".to_owned()], 10, Duration::from_secs(60))
            .await
            .unwrap()
            .is_empty(),
        "a leased job was claimed twice"
    );
    // Its lease runs out (moved into the past rather than waited for, so a slow machine
    // cannot make the check above race the clock).
    job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await
        .unwrap();
    work_until(&app, config("rescuer"), || runs.of("orphan") == 1).await;
    let done = row(&app, id).await;
    assert_eq!((done.state.as_str(), done.attempts), (state::DONE, 2));
    assert!(
        !queue::complete(db, "doomed", id, true).await.unwrap(),
        "the lost worker could still complete it"
    );
    assert_eq!(runs.of("orphan"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_running_jobs_or_gives_them_back() {
    let (app, runs) = app().await;
    let quick = put(&app, Record { sleep_ms: 300, ..Record::new("quick") }).await.unwrap();
    // Stop as soon as the job is running: it still completes within the grace period.
    let started = {
        let app_state = app.state().clone();
        move || {
            let db = app_state.db().read().clone();
            futures_lite_block(async move {
                job::Entity::find_by_id(quick).one(&db).await.unwrap().unwrap().state == state::RUNNING
            })
        }
    };
    work_until(&app, config("w1"), started).await;
    assert_eq!(row(&app, quick).await.state, state::DONE);
    assert_eq!(runs.of("quick"), 1);

    let slow = put(&app, Record { sleep_ms: 5_000, ..Record::new("slow") }).await.unwrap();
    let mut impatient = config("w2");
    impatient.grace = Duration::from_millis(100);
    let app_state = app.state().clone();
    work_until(&app, impatient, move || {
        let db = app_state.db().read().clone();
        futures_lite_block(async move {
            job::Entity::find_by_id(slow).one(&db).await.unwrap().unwrap().state == state::RUNNING
        })
    })
    .await;
    let given_back = row(&app, slow).await;
    assert_eq!((given_back.state.as_str(), given_back.attempts), (state::PENDING, 0));
    assert!(given_back.locked_by.is_none());
    assert_eq!(runs.of("slow"), 0);
}

/// Polls a future from a synchronous predicate (the predicates above run on the test's
/// runtime, so block in place).
fn futures_lite_block<F: std::future::Future<Output = bool> + Send + 'static>(future: F) -> bool {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_workers_run_each_job_exactly_once() {
    let (app, runs) = app().await;
    for n in 0..200 {
        put(&app, Record::new(&format!("job-{n}"))).await;
    }
    let mut handles = Vec::new();
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    for name in ["a", "b", "c"] {
        let worker = Worker::new(app.state().clone(), Registry::new().register::<Record>(), config(name));
        let mut stopped = stop.subscribe();
        handles.push(tokio::spawn(worker.run(async move {
            let _ = stopped.recv().await;
        })));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while runs.total() < 200 && std::time::Instant::now() < deadline {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_jobs_past_retention_are_purged() {
    use baseops_jobs::admin::{purge, retry_dead};

    let (app, runs) = app().await;
    let done = put(&app, Record::new("old")).await.unwrap();
    let dead = put(&app, Record { permanent: true, ..Record::new("broken") }).await.unwrap();
    let app_state = app.state().clone();
    work_until(&app, config("w1"), move || {
        let db = app_state.db().read().clone();
        runs.of("old") == 1 && futures_lite_block(async move { queue::depth(&db).await.unwrap().dead == 1 })
    })
    .await;
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
}
