//! What the leads services ask about people and organizations — membership, members by
//! e-mail address, an organization's currency — always through the users app's
//! [`Directory`], never its tables, and always on the caller's connection so the answer
//! belongs to the caller's transaction.
//!
//! Membership here is [`Directory::is_member`]'s, everywhere: the owner named on a new lead
//! (checked inside its `INSERT … SELECT`), a reassignment, a rule's members and an import's
//! `owner_email` column all agree on who counts.

use std::collections::HashMap;

use baseops_core::{Directory, MAX_DIRECTORY_IDS};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

/// The currency of an organization the directory does not know (it always knows the
/// caller's; this only keeps the type total).
const FALLBACK_CURRENCY: &str = "USD";

/// Whether `user_id` is a member of the organization.
///
/// # Errors
/// Database errors.
pub(crate) async fn is_member(
    db: &impl ConnectionTrait,
    directory: &dyn Directory,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    // `SELECT 1 WHERE <condition>`: no table of ours to select from, and both engines take it.
    let query = Query::select()
        .expr(Expr::val(1))
        .and_where(directory.is_member(Expr::val(organization_id), Expr::val(user_id)))
        .to_owned();
    Ok(db.query_one(&query).await?.is_some())
}

/// The users among `user_ids` who are not members of the organization, in the order given.
///
/// # Errors
/// Database errors.
pub(crate) async fn non_members(
    db: &impl ConnectionTrait,
    directory: &dyn Directory,
    organization_id: Uuid,
    user_ids: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    // One small read per user: lists are short (a rule has at most 100 members) and this is
    // an administrator's edit, not a hot path.
    let mut outside = Vec::new();
    for user_id in user_ids {
        if !is_member(db, directory, organization_id, *user_id).await? {
            outside.push(*user_id);
        }
    }
    Ok(outside)
}

/// Of these lower-case e-mail addresses, those of members of the organization, with their
/// user ids; asked [`MAX_DIRECTORY_IDS`] at a time.
///
/// # Errors
/// Database errors.
pub(crate) async fn members_by_email(
    db: &impl ConnectionTrait,
    directory: &dyn Directory,
    organization_id: Uuid,
    emails: &[String],
) -> Result<HashMap<String, Uuid>, DbErr> {
    let mut members = HashMap::new();
    for chunk in emails.chunks(MAX_DIRECTORY_IDS) {
        for row in db.query_all(&directory.members_by_email_query(organization_id, chunk)).await? {
            let email: String = row.try_get("", "email")?;
            members.insert(email.to_lowercase(), row.try_get("", "user_id")?);
        }
    }
    Ok(members)
}

/// The organization's currency: what a lead's value is in when none is given.
///
/// # Errors
/// Database errors.
pub(crate) async fn organization_currency(
    db: &impl ConnectionTrait,
    directory: &dyn Directory,
    organization_id: Uuid,
) -> Result<String, DbErr> {
    let query = Query::select()
        .expr_as(directory.organization_currency(Expr::val(organization_id)), Alias::new("currency"))
        .to_owned();
    let currency = match db.query_one(&query).await? {
        Some(row) => row.try_get::<Option<String>>("", "currency")?,
        None => None,
    };
    Ok(currency.unwrap_or_else(|| FALLBACK_CURRENCY.to_owned()))
}

/// Members an owner is chosen from on a page: at most this many, the first to join.
pub(crate) const MAX_MEMBER_CHOICES: usize = 500;

/// The organization's active members as `(id, "Name <e-mail>")`, by name: the owners a
/// console page offers. At most [`MAX_MEMBER_CHOICES`] (the first to join) so the page
/// stays small in a large organization.
///
/// # Errors
/// Database errors.
pub(crate) async fn member_choices(
    db: &sea_orm::DatabaseConnection,
    directory: &dyn Directory,
    organization_id: Uuid,
) -> Result<Vec<(Uuid, String)>, DbErr> {
    let mut ids = directory.member_ids(db.into(), organization_id).await?;
    ids.truncate(MAX_MEMBER_CHOICES);
    let mut users = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_DIRECTORY_IDS) {
        users.extend(directory.users(db.into(), chunk).await?);
    }
    let mut choices: Vec<(Uuid, String)> = users
        .into_iter()
        .filter(|user| user.is_active)
        .map(|user| (user.id, format!("{} <{}>", user.display_name, user.email)))
        .collect();
    choices.sort_by_cached_key(|choice| choice.1.to_lowercase());
    Ok(choices)
}
