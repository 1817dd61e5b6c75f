//! `baseops jobs list|retry|purge|schedules`: the queue from the command line.

use std::time::Duration;

use baseops_app::{Command, CommandContext, EXIT_FAILURE, EXIT_SUCCESS};
use baseops_jobs::{admin, queue, schedule};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// The command `baseops jobs`.
pub(crate) fn commands() -> Vec<Command> {
    vec![Command { definition: JobsCli::command, run: |ctx| Box::pin(run(ctx)) }]
}

/// Inspect and operate the job queue.
#[derive(Debug, Parser)]
#[command(name = "jobs")]
struct JobsCli {
    #[command(subcommand)]
    command: JobsCommand,
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// List jobs, newest first.
    #[command(after_help = "Examples:
  baseops jobs list
  baseops jobs list --state dead --limit 100")]
    List {
        /// Only jobs in this state: pending, queued (in Redis), running, done or dead.
        #[arg(long, value_parser = ["pending", "queued", "running", "done", "dead"])]
        state: Option<String>,
        /// How many, at most 500.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=500))]
        limit: u64,
    },
    /// Put dead jobs back in the queue with fresh attempts.
    #[command(after_help = "Examples:
  baseops jobs retry 0190f1c2-…
  baseops jobs retry --all-dead")]
    Retry {
        /// The dead job to retry.
        #[arg(required_unless_present = "all_dead", conflicts_with = "all_dead")]
        id: Option<uuid::Uuid>,
        /// Retry every dead job.
        #[arg(long)]
        all_dead: bool,
    },
    /// Delete done and dead jobs that finished before a cutoff.
    #[command(after_help = "Examples:
  baseops jobs purge                    # older than jobs.retention_days
  baseops jobs purge --older-than 7d    # units: s, m, h, d")]
    Purge {
        /// Age, like 12h or 7d.
        #[arg(long, value_parser = parse_age)]
        older_than: Option<Duration>,
    },
    /// List the recurring jobs with their effective cron expression, zone and next run.
    Schedules,
}

fn parse_age(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not an age like 7d or 12h"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" | "" => 86_400,
        _ => return Err(format!("{text:?}: the unit is s, m, h or d")),
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

async fn run(ctx: CommandContext) -> Result<u8, baseops_app::BoxError> {
    let cli = JobsCli::from_arg_matches(&ctx.matches)?;
    let db = ctx.state.db();
    let settings = ctx.state.settings();
    match cli.command {
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
                return Ok(EXIT_FAILURE);
            }
        }
        JobsCommand::Schedules => {
            let schedules = schedule::resolve(&ctx.apps.schedules(), &settings.jobs)?;
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
    Ok(EXIT_SUCCESS)
}
