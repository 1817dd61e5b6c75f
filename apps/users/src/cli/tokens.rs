//! `baseops tokens create`: an API token for a script, made by the operator on the server —
//! who can read the database anyway — without a browser, a password or a CSRF header.

use baseops_app::{BoxError, CommandContext, EXIT_SUCCESS};
use baseops_core::{Acting, Actor, Origin};
use chrono::{Duration, Utc};
use clap::{FromArgMatches, Parser, Subcommand};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::explain;
use crate::model::{organization, user};
use crate::service::token::{NewToken, held_permissions, token_create_and_notify};

/// Create API tokens for scripts.
#[derive(Debug, Parser)]
#[command(name = "tokens")]
pub(super) struct TokensCli {
    #[command(subcommand)]
    command: TokensCommand,
}

#[derive(Debug, Subcommand)]
enum TokensCommand {
    /// Create a token for a user in an organization and print its secret, once.
    #[command(after_help = "Examples:
  baseops tokens create --email ops@example.com --organization acme --name ci --scope tasks.view
  baseops tokens create --email ops@example.com --organization acme --name nightly \\
      --scope leads.view --scope leads.export --expires-in-days 30

Exit codes: 0 created; 1 no such user or organization, not a member, or invalid fields.")]
    Create {
        /// The user the token acts as.
        #[arg(long)]
        email: String,
        /// The organization it works in: its id or its slug.
        #[arg(long)]
        organization: String,
        /// A name to recognise it by.
        #[arg(long)]
        name: String,
        /// A permission it may use (repeat for more); the user must hold each.
        #[arg(long = "scope", required_unless_present = "all_scopes", conflicts_with = "all_scopes")]
        scopes: Vec<String>,
        /// Every permission the user holds (for admin tooling; name the scopes where you can).
        #[arg(long)]
        all_scopes: bool,
        /// Days until it stops working; never when absent.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
    },
}

/// Runs `baseops tokens …`.
pub(super) async fn run(ctx: CommandContext) -> Result<u8, BoxError> {
    let TokensCommand::Create { email, organization, name, mut scopes, all_scopes, expires_in_days } =
        TokensCli::from_arg_matches(&ctx.matches)?.command;
    let state = &ctx.state;
    let txn = state.db().write().begin().await?;
    let user = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(&txn)
        .await?
        .filter(|user| user.is_active)
        .ok_or_else(|| format!("no active user with the e-mail address {email}"))?;
    let by_key = match uuid::Uuid::parse_str(&organization) {
        Ok(id) => organization::Column::Id.eq(id),
        Err(_) => organization::Column::Slug.eq(organization.clone()),
    };
    let found = organization::Entity::find()
        .filter(by_key)
        .one(&txn)
        .await?
        .ok_or_else(|| format!("no organization with the id or slug {organization}"))?;
    let held = held_permissions(&txn, &user, found.id, state.permissions()).await.map_err(explain)?;
    if all_scopes {
        scopes = held.keys().cloned().collect();
    }
    let now = Utc::now();
    let expires_at = expires_in_days.map(|days| now + Duration::days(i64::from(days)));
    let new = NewToken { name: &name, scopes: &scopes, expires_at }
        .check(&held, now)
        .map_err(|errors| explain(baseops_core::ApiError::Validation(errors)))?;
    let actor = Actor::System { name: "tokens create".to_owned() };
    let origin = Origin::internal();
    let acting = Acting { actor: &actor, origin: &origin };
    let created = token_create_and_notify(&txn, acting, user.id, found.id, new, state.settings())
        .await
        .map_err(explain)?;
    txn.commit().await?;
    eprintln!(
        "token {} created for {} in {}; it is shown this once:",
        created.row.id, user.email, found.slug
    );
    println!("{}", created.token);
    Ok(EXIT_SUCCESS)
}
