//! `baseops analytics rebuild --from DATE --to DATE`: the aggregation job's work over any
//! range, in this process (after a fix, an import, or restoring a backup).

use baseops_app::{BoxError, Command, CommandContext, EXIT_SUCCESS};
use chrono::NaiveDate;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// The command `baseops analytics`.
pub(crate) fn commands() -> Vec<Command> {
    vec![Command { definition: AnalyticsCli::command, run: |ctx| Box::pin(run(ctx)) }]
}

/// Analytics tools: rebuild the daily aggregates.
#[derive(Debug, Parser)]
#[command(name = "analytics")]
struct AnalyticsCli {
    #[command(subcommand)]
    command: AnalyticsCommand,
}

#[derive(Debug, Subcommand)]
enum AnalyticsCommand {
    /// Rebuild the daily aggregates of a range of days (UTC) from the recorded events; today's
    /// snapshots (pipeline value, overdue tasks) are taken again when the range includes today.
    #[command(after_help = "Examples:
  baseops analytics rebuild --from 2026-11-01 --to 2026-11-30
  baseops analytics rebuild --from 2026-12-06 --to 2026-12-06")]
    Rebuild {
        /// First day, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        from: NaiveDate,
        /// Last day, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        to: NaiveDate,
    },
}

async fn run(ctx: CommandContext) -> Result<u8, BoxError> {
    let AnalyticsCommand::Rebuild { from, to } = AnalyticsCli::from_arg_matches(&ctx.matches)?.command;
    let written = crate::aggregate::rebuild(&ctx.state, from, to).await?;
    println!("rebuilt {from} to {to}: {written} rows");
    Ok(EXIT_SUCCESS)
}
