//! `baseops billing verify`: recompute every invoice's figures and every customer's balance
//! from what they are made of; `baseops billing renew`: run the subscription renewals now.

use std::time::Instant;

use baseops_app::{BoxError, Command, CommandContext, EXIT_FAILURE, EXIT_SUCCESS};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::job::RENEWALS_PER_RUN;
use crate::service::subscription::renew_due;

/// `billing verify` found a figure that disagrees with what it is made of.
pub const EXIT_BILLING_DIFFERS: u8 = 5;

/// The command `baseops billing`.
pub(crate) fn commands() -> Vec<Command> {
    vec![Command { definition, run: |ctx| Box::pin(run(ctx)) }]
}

fn definition() -> clap::Command {
    clap::Command::new("billing")
        .about("Billing tools.")
        .subcommand_required(true)
        .subcommand(
            clap::Command::new("verify")
                .about("Recompute every invoice's paid, credited and due amounts and every customer's balance from payments, credit notes and the ledger; report each difference.")
                .arg(clap::Arg::new("org").long("org").value_name("ID").help("Only this organization (its id)."))
                .after_help(
                    "Examples:
  baseops billing verify                 # every organization; exit 5 when something differs
  baseops billing verify --org 0190...   # one organization",
                ),
        )
        .subcommand(
            clap::Command::new("renew")
                .about("Renew every subscription whose period has ended, now (the worker does it every five minutes): each period invoiced exactly once.")
                .arg(
                    clap::Arg::new("at")
                        .long("at")
                        .value_name("TIME")
                        .help("Renew what is due at this RFC 3339 time instead of now (to catch up, or to test)."),
                )
                .after_help(
                    "Examples:
  baseops billing renew                               # what is due now; exit 1 when one failed
  baseops billing renew --at 2027-01-01T00:00:00Z     # what will be due then",
                ),
        )
}

async fn run(ctx: CommandContext) -> Result<u8, BoxError> {
    match ctx.matches.subcommand() {
        Some(("verify", verify)) => {
            let org = match verify.get_one::<String>("org") {
                Some(text) => {
                    Some(Uuid::parse_str(text).map_err(|_| format!("--org {text}: not an organization id"))?)
                }
                None => None,
            };
            let report = crate::verify::verify(ctx.state.db().read(), org).await?;
            println!("{report}");
            Ok(if report.is_ok() { EXIT_SUCCESS } else { EXIT_BILLING_DIFFERS })
        }
        Some(("renew", renew)) => {
            let at = match renew.get_one::<String>("at") {
                Some(text) => DateTime::parse_from_rfc3339(text)
                    .map_err(|_| format!("--at {text}: not an RFC 3339 time (2027-01-01T00:00:00Z)"))?
                    .with_timezone(&Utc),
                None => Utc::now(),
            };
            let started = Instant::now();
            let done = renew_due(&ctx.state, at, RENEWALS_PER_RUN).await?;
            let seconds = started.elapsed().as_secs_f64();
            let rate = if seconds > 0.0 { done.renewed as f64 / seconds } else { 0.0 };
            println!(
                "billing renew: {} periods renewed, {} subscriptions ended, {} skipped, {} failed in {seconds:.2} s ({rate:.0} renewals/s)",
                done.renewed, done.canceled, done.skipped, done.failed
            );
            Ok(if done.failed == 0 { EXIT_SUCCESS } else { EXIT_FAILURE })
        }
        _ => Err("usage: baseops billing verify [--org ID] | baseops billing renew [--at TIME]".into()),
    }
}
