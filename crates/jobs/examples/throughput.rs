//! Jobs per second, end to end (enqueue → done), for a trivial job. Run by
//! `bench/jobs.sh`; not a test.
//!
//!   cargo run --release -p baseops-jobs --example throughput -- \
//!       [--batch N] [--backend database|redis] JOBS PRODUCERS TASKS...
//!
//! The database is a fresh SQLite file, or a fresh PostgreSQL database when
//! BASEOPS_TEST_DATABASE_URL is set. PRODUCERS concurrent producers (like concurrent
//! requests) enqueue JOBS jobs in all while one worker with TASKS concurrent tasks runs them;
//! the clock stops when the last job is done. Each producer transaction enqueues one job
//! (`enqueue`, the default) or N jobs (`--batch N`: `enqueue_many`, as a campaign send or an
//! import would). `--backend redis` dispatches through Redis at BASEOPS_BENCH_REDIS_URL
//! (default redis://127.0.0.1:6379) under a fresh key prefix.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use baseops_jobs::{
    Enqueue, Job, JobContext, JobError, Registry, Worker, WorkerConfig, enqueue, enqueue_many,
};
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

struct Options {
    batch: u64,
    redis: Option<String>,
    jobs: u64,
    producers: u64,
    tasks: Vec<usize>,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1).peekable();
    let (mut batch, mut redis, mut positional) = (1, None, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--batch" => batch = args.next().and_then(|n| n.parse().ok()).unwrap_or(100),
            "--backend" => {
                if args.next().as_deref() == Some("redis") {
                    redis = Some(
                        std::env::var("BASEOPS_BENCH_REDIS_URL")
                            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned()),
                    );
                }
            }
            _ => positional.push(arg),
        }
    }
    let tasks: Vec<usize> = positional.iter().skip(2).filter_map(|n| n.parse().ok()).collect();
    Options {
        batch: Ord::max(batch, 1),
        redis,
        jobs: positional.first().and_then(|n| n.parse().ok()).unwrap_or(20_000),
        producers: positional.get(1).and_then(|n| n.parse().ok()).unwrap_or(1).max(1),
        tasks: if tasks.is_empty() { vec![1, 4] } else { tasks },
    }
}

#[tokio::main]
async fn main() {
    let Options { batch, redis, jobs, producers, tasks } = options();
    for concurrency in tasks {
        let mut builder = TestApp::builder().setting("BASEOPS_DATABASE__MAX_CONNECTIONS", "10");
        if let Some(url) = &redis {
            let prefix = format!("bench:{}:", uuid::Uuid::now_v7().simple());
            builder = builder
                .setting("BASEOPS_JOBS__BACKEND", "redis")
                .setting("BASEOPS_REDIS__URL", url)
                .setting("BASEOPS_REDIS__KEY_PREFIX", &prefix);
        }
        let app = builder.build().await;
        let engine = match (app.database().is_postgres(), redis.is_some()) {
            (true, false) => "postgres",
            (false, false) => "sqlite",
            (true, true) => "pg+redis",
            (false, true) => "sqlite+redis",
        };
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
                let mine: Vec<u64> = (p..jobs).step_by(usize::try_from(producers).unwrap_or(1)).collect();
                for chunk in mine.chunks(usize::try_from(batch).unwrap_or(1)) {
                    let txn = db.begin().await.expect("begin");
                    if let [n] = chunk {
                        enqueue(&txn, Enqueue::new(&Nothing { n: *n }).expect("serializes"))
                            .await
                            .expect("enqueue");
                    } else {
                        let many =
                            chunk.iter().map(|n| Enqueue::new(&Nothing { n: *n }).expect("serializes"));
                        enqueue_many(&txn, many.collect()).await.expect("enqueue_many");
                    }
                    txn.commit().await.expect("commit");
                    enqueued.fetch_add(chunk.len() as u64, Ordering::Relaxed);
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
            "{engine:<12} producers={producers:<2} batch={batch:<3} tasks={concurrency:<2} jobs={jobs:<6} done={done:<6} end-to-end {rate:>8.0} jobs/s  ({total:.2} s; enqueueing {enqueue_rate:.0}/s)"
        );
        app.database().drop_now().await;
    }
}
