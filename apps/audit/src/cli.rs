//! `baseops audit verify`: walk the hash chains from the command line.

use baseops_app::{BoxError, Command, CommandContext, EXIT_SUCCESS};

/// `audit verify` found an altered, inserted or deleted audit event.
pub const EXIT_AUDIT_BROKEN: u8 = 4;

/// The command `baseops audit`.
pub(crate) fn commands() -> Vec<Command> {
    vec![Command { definition, run: |ctx| Box::pin(run(ctx)) }]
}

fn definition() -> clap::Command {
    clap::Command::new("audit").about("Audit trail tools.").subcommand_required(true).subcommand(
        clap::Command::new("verify")
            .about("Walk the hash chains and report the first altered, inserted or deleted event of each.")
            .arg(
                clap::Arg::new("org")
                    .long("org")
                    .value_name("ID")
                    .help("Only this organization's chain (its id), or `platform`."),
            )
            .after_help(
                "Examples:
  baseops audit verify                 # every chain; exit 4 when one is broken
  baseops audit verify --org 0190...   # one organization's chain",
            ),
    )
}

async fn run(ctx: CommandContext) -> Result<u8, BoxError> {
    let Some(("verify", verify)) = ctx.matches.subcommand() else {
        return Err("usage: baseops audit verify [--org ID]".into());
    };
    let org = verify.get_one::<String>("org");
    // What committed before the command started is judged too, not left as "unsealed".
    crate::seal_pending(ctx.state.db().write()).await?;
    let report = crate::verify(ctx.state.db().read(), org.map(String::as_str)).await?;
    println!("{report}");
    Ok(if report.is_ok() { EXIT_SUCCESS } else { EXIT_AUDIT_BROKEN })
}
