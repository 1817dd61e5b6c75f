//! `baseops billing verify`: recompute every invoice's figures and every customer's balance
//! from what they are made of, from the command line.

use baseops_app::{BoxError, Command, CommandContext, EXIT_SUCCESS};
use uuid::Uuid;

/// `billing verify` found a figure that disagrees with what it is made of.
pub const EXIT_BILLING_DIFFERS: u8 = 5;

/// The command `baseops billing`.
pub(crate) fn commands() -> Vec<Command> {
    vec![Command { definition, run: |ctx| Box::pin(run(ctx)) }]
}

fn definition() -> clap::Command {
    clap::Command::new("billing").about("Billing tools.").subcommand_required(true).subcommand(
        clap::Command::new("verify")
            .about("Recompute every invoice's paid, credited and due amounts and every customer's balance from payments, credit notes and the ledger; report each difference.")
            .arg(clap::Arg::new("org").long("org").value_name("ID").help("Only this organization (its id)."))
            .after_help(
                "Examples:
  baseops billing verify                 # every organization; exit 5 when something differs
  baseops billing verify --org 0190...   # one organization",
            ),
    )
}

async fn run(ctx: CommandContext) -> Result<u8, BoxError> {
    let Some(("verify", verify)) = ctx.matches.subcommand() else {
        return Err("usage: baseops billing verify [--org ID]".into());
    };
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
