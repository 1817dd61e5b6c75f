//! The job worker of `worker` and `serve --with-worker`, and the queue-depth gauge.

use std::time::Duration;

use baseops_app::Apps;
use baseops_core::AppState;
use baseops_db::Database;
use baseops_jobs::{Worker, WorkerConfig, queue, schedule};

/// A worker over `state` with the build's jobs and schedules.
///
/// # Errors
/// `[jobs.schedules]` settings that name no schedule or do not parse.
pub fn worker(
    apps: &Apps,
    state: &AppState,
    queues: Option<Vec<String>>,
    concurrency: Option<usize>,
) -> anyhow::Result<Worker> {
    let settings = &state.settings().jobs;
    let schedules = schedule::resolve(&apps.schedules(), settings).map_err(anyhow::Error::msg)?;
    let mut config = WorkerConfig::from_settings(settings, schedules);
    if let Some(queues) = queues {
        config.queues = queues;
    }
    if let Some(concurrency) = concurrency {
        config.concurrency = concurrency.max(1);
    }
    config.grace = Duration::from_secs(state.settings().server.shutdown_grace_secs);
    Ok(Worker::new(state.clone(), apps.jobs(), config))
}

/// Keeps the `jobs_queue_depth` gauge current (every 15 s) for `/metrics`.
pub fn publish_queue_depth(db: Database) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(15));
        loop {
            every.tick().await;
            match queue::depth(db.read()).await {
                Ok(depth) => {
                    for (state, count) in [
                        ("pending", depth.pending),
                        ("queued", depth.queued),
                        ("running", depth.running),
                        ("dead", depth.dead),
                    ] {
                        #[allow(clippy::cast_precision_loss)]
                        metrics::gauge!("jobs_queue_depth", "state" => state).set(count as f64);
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot read the queue depth"),
            }
        }
    })
}
