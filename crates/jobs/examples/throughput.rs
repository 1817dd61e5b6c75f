//! Jobs per second, end to end (enqueue → done), for a trivial job. Run by
//! `bench/jobs.sh`; not a test.
//!
//!   cargo run --release -p baseops-jobs --example throughput -- [JOBS] [PRODUCERS] [TASKS...]
//!
//! The database is a fresh SQLite file, or a fresh PostgreSQL database when
//! BASEOPS_TEST_DATABASE_URL is set. PRODUCERS concurrent producers (like concurrent
//! requests) enqueue JOBS jobs in all, each in its own transaction, while one worker with
//! TASKS concurrent tasks runs them; the clock stops when the last job is done.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use baseops_jobs::{Enqueue, Job, JobContext, JobError, Registry, Worker, WorkerConfig, enqueue};
use baseops_test_support::TestApp;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};

static DONE: AtomicU64 = AtomicU64::new(0);

#[derive(Serialize, Deserialize)]
struct Nothing {
    n: u64,
}

#[async_trait::async_trait]
impl Job for Nothing {
    const NAME: &'static str = "bench.nothing";

    async fn run(self, _ctx: &JobContext) -> Result<(), JobError> {
        DONE.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let jobs: u64 = args.first().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let producers: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1).max(1);
    let tasks: Vec<usize> = args.iter().skip(2).filter_map(|n| n.parse().ok()).collect();
    let tasks = if tasks.is_empty() { vec![1, 4] } else { tasks };
    for concurrency in tasks {
        let app = TestApp::builder()
            .apps(vec![baseops_jobs::app()])
            .setting("BASEOPS_DATABASE__MAX_CONNECTIONS", "10")
            .build()
            .await;
        let engine = if app.database().is_postgres() { "postgres" } else { "sqlite" };
        DONE.store(0, Ordering::Relaxed);
        let mut config = WorkerConfig::new(vec!["default".to_owned()]);
        config.concurrency = concurrency;
        config.poll = Duration::from_millis(20);
        let worker = Worker::new(app.state().clone(), Registry::new().register::<Nothing>(), config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));

        let started = Instant::now();
        let enqueued = Arc::new(AtomicU64::new(0));
        let mut producing = Vec::new();
        for p in 0..producers {
            let db = app.state().db().write().clone();
            let enqueued = enqueued.clone();
            producing.push(tokio::spawn(async move {
                for n in (p..jobs).step_by(usize::try_from(producers).unwrap_or(1)) {
                    let txn = db.begin().await.expect("begin");
                    enqueue(&txn, Enqueue::new(&Nothing { n }).expect("serializes")).await.expect("enqueue");
                    txn.commit().await.expect("commit");
                    enqueued.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for producer in producing {
            producer.await.expect("producer");
        }
        let enqueue_secs = started.elapsed().as_secs_f64();
        let deadline = Instant::now() + Duration::from_secs(300);
        while DONE.load(Ordering::Relaxed) < jobs && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let total = started.elapsed().as_secs_f64();
        let done = DONE.load(Ordering::Relaxed);
        let _ = stop.send(());
        running.await.expect("worker").expect("worker ran");
        #[allow(clippy::cast_precision_loss)]
        let rate = done as f64 / total;
        #[allow(clippy::cast_precision_loss)]
        let enqueue_rate = jobs as f64 / enqueue_secs;
        println!(
            "{engine:<8} producers={producers:<2} tasks={concurrency:<2} jobs={jobs:<6} done={done:<6} end-to-end {rate:>8.0} jobs/s  ({total:.2} s; enqueueing {enqueue_rate:.0}/s)"
        );
        app.database().drop_now().await;
    }
}
