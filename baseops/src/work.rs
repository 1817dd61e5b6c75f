//! `worker`, `serve --with-worker` and `jobs …`.

use std::process::ExitCode;
use std::time::Duration;

use baseops_config::Settings;
use baseops_core::AppState;
use baseops_db::Database;
use baseops_jobs::{Worker, WorkerConfig, admin, queue, schedule};

use crate::cli::JobsCommand;

/// A worker over `state` with the build's jobs and schedules.
///
/// # Errors
/// `[jobs.schedules]` settings that name no schedule or do not parse.
pub fn worker(
    state: &AppState,
    queues: Option<Vec<String>>,
    concurrency: Option<usize>,
) -> anyhow::Result<Worker> {
    let settings = &state.settings().jobs;
    let schedules = schedule::resolve(&baseops::schedules(), settings).map_err(anyhow::Error::msg)?;
    let mut config = WorkerConfig::from_settings(settings, schedules);
    if let Some(queues) = queues {
        config.queues = queues;
    }
    if let Some(concurrency) = concurrency {
        config.concurrency = concurrency.max(1);
    }
    config.grace = Duration::from_secs(state.settings().server.shutdown_grace_secs);
    Ok(Worker::new(state.clone(), baseops::job_registry(), config))
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

/// `baseops jobs …`.
///
/// # Errors
/// Database errors.
pub async fn jobs(settings: &Settings, db: &Database, command: JobsCommand) -> anyhow::Result<ExitCode> {
    match command {
        JobsCommand::List { state, limit } => {
            let rows = admin::list(db.read(), state.as_deref(), None, limit).await?;
            println!(
                "{:<36}  {:<8}  {:>8}  {:<28}  {:<25}  last error",
                "id", "state", "attempts", "name", "run at"
            );
            for row in rows {
                let error = row.last_error.unwrap_or_default().replace('\n', " ");
                println!(
                    "{:<36}  {:<8}  {:>4}/{:<3}  {:<28}  {:<25}  {}",
                    row.id,
                    row.state,
                    row.attempts,
                    row.max_attempts,
                    row.name,
                    row.run_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    error.chars().take(80).collect::<String>()
                );
            }
            let depth = queue::depth(db.read()).await?;
            eprintln!(
                "pending {}, queued {}, running {}, dead {}",
                depth.pending, depth.queued, depth.running, depth.dead
            );
        }
        JobsCommand::Retry { id, all_dead } => {
            let retried = admin::retry_dead(db.write(), if all_dead { None } else { id }).await?;
            println!("{retried} job(s) back in the queue");
            if retried == 0 && !all_dead {
                eprintln!("no dead job has this id");
                return Ok(ExitCode::from(crate::cli::EXIT_FAILURE));
            }
        }
        JobsCommand::Schedules => {
            let schedules =
                schedule::resolve(&baseops::schedules(), &settings.jobs).map_err(anyhow::Error::msg)?;
            println!("{:<28}  {:<16}  {:<20}  next run (UTC)", "schedule", "cron", "time zone");
            for schedule in schedules {
                let next = schedule.next_tick(chrono::Utc::now()).map_or_else(
                    || "never".to_owned(),
                    |tick| tick.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                );
                println!(
                    "{:<28}  {:<16}  {:<20}  {next}",
                    schedule.name, schedule.expression, schedule.timezone
                );
            }
        }
        JobsCommand::Purge { older_than } => {
            let age = older_than
                .unwrap_or(Duration::from_secs(settings.jobs.retention_days.saturating_mul(86_400)));
            let cutoff =
                chrono::Utc::now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::zero());
            println!("{} finished job(s) deleted", admin::purge(db.write(), cutoff).await?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
