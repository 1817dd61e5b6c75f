//! `baseops seed-roles`: give every organization the default roles it lacks (after an
//! upgrade that added default roles or permissions).

use baseops_app::{BoxError, Command, CommandContext, EXIT_SUCCESS};
use baseops_core::{Acting, Actor, Origin};
use sea_orm::TransactionTrait;

/// The command `baseops seed-roles`.
pub(crate) fn commands() -> Vec<Command> {
    vec![Command { definition, run: |ctx| Box::pin(run(ctx)) }]
}

fn definition() -> clap::Command {
    clap::Command::new("seed-roles")
        .about("Create the default roles organizations lack; existing roles are left as they are.")
        .after_help(
            "Example:
  baseops seed-roles    # after an upgrade that added a default role

A permission added by an upgrade is not granted to roles that already exist (their owners
may have edited them): grant it with PATCH /api/v1/roles/{id}.",
        )
}

async fn run(ctx: CommandContext) -> Result<u8, BoxError> {
    let db = ctx.state.db();
    let actor = Actor::System { name: "seed-roles".to_owned() };
    let origin = Origin::internal();
    let organizations = baseops_core::directory(&ctx.state).organization_ids(db.read().into()).await?;
    for organization_id in &organizations {
        let txn = db.write().begin().await?;
        crate::role_seed_defaults(
            &txn,
            Acting { actor: &actor, origin: &origin },
            *organization_id,
            ctx.state.permissions(),
        )
        .await?;
        txn.commit().await?;
    }
    println!("default roles checked in {} organization(s)", organizations.len());
    Ok(EXIT_SUCCESS)
}
