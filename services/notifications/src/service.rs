//! Writes: creating notifications (from event handlers, through [`send`]), marking them read,
//! and users' channel preferences.
//!
//! Audit policy (decision 0010): a preference change is audited like any setting; creating a
//! notification is not (the event that caused it is), and neither is marking one read —
//! per-user reading state, high in volume, with no bearing on the organization's records.

use std::collections::HashMap;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, Actor, ApiError, AppState, Origin, UserRef, check_version};
use baseops_jobs::JobError;
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use crate::live::Hub;
use crate::model::{notification, preference};
use crate::selector::{ANY_KIND, Channels, effective, preferences_of};

/// Longest title kept.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest body kept.
pub const MAX_BODY_CHARS: usize = 2000;
/// Longest link accepted.
pub const MAX_LINK_CHARS: usize = 500;
/// Most notifications created in one transaction by [`send`].
const BATCH: usize = 200;

/// A notification an event handler wants a user to get.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// The recipient.
    pub user_id: Uuid,
    /// The organization it is about, if any.
    pub organization_id: Option<Uuid>,
    /// The kind, usually the event's name (`task.assigned`): preferences are per kind.
    pub kind: &'static str,
    /// One line (cut at [`MAX_TITLE_CHARS`]).
    pub title: String,
    /// Plain text (cut at [`MAX_BODY_CHARS`]).
    pub body: String,
    /// A path in the console, such as `/tasks/<id>`.
    pub link: Option<String>,
    /// The event that caused it: a redelivered event creates nothing twice.
    pub event_id: Option<Uuid>,
}

/// `a.b_c`: lowercase words joined by dots, at most 64 characters.
pub fn is_valid_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= 64
        && kind.split('.').all(|word| {
            word.starts_with(|c: char| c.is_ascii_lowercase())
                && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Creates `items` as each recipient's preferences say — stored (listed and pushed live when
/// in-app is on, kept for the digest), e-mailed at once when e-mail is on — skipping
/// inactive users and notifications already created for the same event. Returns how many
/// were created.
///
/// # Errors
/// [`JobError::Retry`] on database errors (the calling handler is retried; what was created
/// is not created twice); [`JobError::Permanent`] for a malformed kind or link.
pub async fn send(state: &AppState, items: Vec<NewNotification>) -> Result<usize, JobError> {
    for item in &items {
        if !is_valid_kind(item.kind) {
            return Err(JobError::Permanent(format!("notification kind {:?} is malformed", item.kind)));
        }
        if item
            .link
            .as_ref()
            .is_some_and(|link| !link.starts_with('/') || link.chars().count() > MAX_LINK_CHARS)
        {
            return Err(JobError::Permanent(format!(
                "notification link {:?} is not a console path",
                item.link
            )));
        }
    }
    let mut created = 0;
    for batch in items.chunks(BATCH) {
        created += send_batch(state, batch).await.map_err(JobError::retry)?;
    }
    Ok(created)
}

async fn send_batch(state: &AppState, items: &[NewNotification]) -> Result<usize, DbErr> {
    let db = state.db().write();
    let user_ids: Vec<Uuid> = items.iter().map(|item| item.user_id).collect();
    let users: HashMap<Uuid, UserRef> = baseops_core::directory(state)
        .users(db.into(), &user_ids)
        .await?
        .into_iter()
        .filter(|found| found.is_active)
        .map(|found| (found.id, found))
        .collect();
    let preferences = preferences_of(db, user_ids).await?;
    let hub = state.extension::<Hub>();
    let actor = Actor::System { name: "notifications".to_owned() };
    let origin = Origin::internal();
    let acting = Acting { actor: &actor, origin: &origin };

    let txn = db.begin().await?;
    let mut live = Vec::new();
    let now = Utc::now();
    for item in items {
        let Some(recipient) = users.get(&item.user_id) else { continue };
        let channels = effective(&preferences, item.user_id, item.kind);
        if !(channels.in_app || channels.email || channels.digest) {
            continue;
        }
        let row = notification::Model {
            id: Uuid::now_v7(),
            user_id: item.user_id,
            organization_id: item.organization_id,
            kind: item.kind.to_owned(),
            title: cut(&item.title, MAX_TITLE_CHARS),
            body: cut(&item.body, MAX_BODY_CHARS),
            link: item.link.clone(),
            event_id: item.event_id,
            in_app: channels.in_app,
            read_at: None,
            // Only rows meant for the digest wait for it.
            digested_at: (!channels.digest).then_some(now),
            created_at: now,
        };
        let inserted = notification::Entity::insert(row.clone().into_active_model())
            .on_conflict(
                OnConflict::columns([
                    notification::Column::UserId,
                    notification::Column::Kind,
                    notification::Column::EventId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        if inserted == 0 {
            continue;
        }
        if channels.email {
            email_now(&txn, state, acting, recipient, &row).await?;
        }
        if channels.in_app {
            live.push(row);
        }
    }
    if let Some(hub) = hub {
        hub.announce(&txn, &live).await?;
    }
    txn.commit().await?;
    let created = live.len();
    if let Some(hub) = hub {
        hub.committed(live).await;
    }
    Ok(created)
}

async fn email_now(
    txn: &impl ConnectionTrait,
    state: &AppState,
    acting: Acting<'_>,
    recipient: &UserRef,
    row: &notification::Model,
) -> Result<(), DbErr> {
    let url = row
        .link
        .as_ref()
        .map(|link| format!("{}{link}", state.settings().server.public_url.as_str().trim_end_matches('/')));
    let context = serde_json::json!({
        "name": recipient.display_name,
        "title": row.title,
        "body": row.body,
        "url": url,
    });
    let message = baseops_email::Templates::from_settings(state.settings())
        .render("notification", Some(&recipient.locale), &recipient.email, context)
        .map_err(|error| DbErr::Custom(error.to_string()))?;
    baseops_email::enqueue_email(txn, acting, row.organization_id, message).await?;
    Ok(())
}

/// Marks one of `user_id`'s notifications read. `false` when they have no such notification.
///
/// # Errors
/// Database errors.
pub async fn mark_read(db: &impl ConnectionTrait, user_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    let found = notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::InApp.eq(true))
        .one(db)
        .await?;
    let Some(found) = found else { return Ok(false) };
    if found.read_at.is_none() {
        notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
            .filter(notification::Column::Id.eq(id))
            .filter(notification::Column::ReadAt.is_null())
            .exec(db)
            .await?;
    }
    Ok(true)
}

/// Marks all of `user_id`'s unread notifications read (only `organization_id`'s when given);
/// returns how many.
///
/// # Errors
/// Database errors.
pub async fn mark_all_read(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    organization_id: Option<Uuid>,
) -> Result<u64, DbErr> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::InApp.eq(true))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(organization_id) = organization_id {
        update = update.filter(notification::Column::OrganizationId.eq(organization_id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Sets `user_id`'s channels for `kind` (`*`: every kind without its own row), audited, and
/// returns the row.
///
/// An upsert: without `expected` it creates the preference at version 1 or overwrites it,
/// bumping its version, as before versions existed. With `expected` (the client's
/// `If-Match`) it changes an existing preference only at that version — one `UPDATE … WHERE
/// version = ?`, so of two writers holding the same version the second gets 412 — and a
/// preference that does not exist cannot match it: 412.
///
/// # Errors
/// 422 for a malformed kind, 412 `version_mismatch`; database errors.
pub async fn set_preference(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    kind: &str,
    expected: Option<i32>,
    channels: Channels,
) -> Result<preference::Model, ApiError> {
    check_kind(kind)?;
    let key = (user_id, kind.to_owned());
    let before = preference::Entity::find_by_id(key.clone()).one(txn).await?;
    let now = Utc::now();
    match (&before, expected) {
        (None, Some(_)) => return Err(ApiError::PreconditionFailed),
        (Some(found), Some(expected)) => {
            check_version(found.version, Some(expected))?;
            let updated = preference::Entity::update_many()
                .col_expr(preference::Column::InApp, Expr::value(channels.in_app))
                .col_expr(preference::Column::Email, Expr::value(channels.email))
                .col_expr(preference::Column::Digest, Expr::value(channels.digest))
                .col_expr(preference::Column::UpdatedAt, Expr::value(now))
                .col_expr(preference::Column::Version, Expr::col(preference::Column::Version).add(1))
                .filter(preference::Column::UserId.eq(user_id))
                .filter(preference::Column::Kind.eq(kind))
                .filter(preference::Column::Version.eq(expected))
                .exec(txn)
                .await?;
            if updated.rows_affected == 0 {
                return Err(ApiError::PreconditionFailed);
            }
        }
        (_, None) => {
            let row = preference::ActiveModel {
                user_id: Set(user_id),
                kind: Set(kind.to_owned()),
                in_app: Set(channels.in_app),
                email: Set(channels.email),
                digest: Set(channels.digest),
                updated_at: Set(now),
                version: Set(1),
            };
            // The existing row's version, qualified: PostgreSQL finds a bare `version`
            // ambiguous beside the proposed row.
            let bumped = Expr::col((preference::Entity, preference::Column::Version)).add(1);
            preference::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([preference::Column::UserId, preference::Column::Kind])
                        .update_columns([
                            preference::Column::InApp,
                            preference::Column::Email,
                            preference::Column::Digest,
                            preference::Column::UpdatedAt,
                        ])
                        .value(preference::Column::Version, bumped)
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
        }
    }
    let before = before.as_ref().map(Channels::from);
    record(
        txn,
        AuditEntry::new(acting, None, "notification_preference.set", "user", user_id)
            .changes(Changes::new().set(kind, before, channels)),
    )
    .await?;
    preference::Entity::find_by_id(key).one(txn).await?.ok_or(ApiError::NotFound)
}

/// Removes `user_id`'s own channels for `kind`, so their default applies again; audited.
/// `false` when there was none.
///
/// # Errors
/// 422 for a malformed kind; database errors.
pub async fn reset_preference(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    kind: &str,
) -> Result<bool, ApiError> {
    check_kind(kind)?;
    let Some(before) = preference::Entity::find_by_id((user_id, kind.to_owned())).one(txn).await? else {
        return Ok(false);
    };
    preference::Entity::delete_by_id((user_id, kind.to_owned())).exec(txn).await?;
    record(
        txn,
        AuditEntry::new(acting, None, "notification_preference.reset", "user", user_id)
            .changes(Changes::new().set(kind, Some(Channels::from(&before)), None::<Channels>)),
    )
    .await?;
    Ok(true)
}

fn check_kind(kind: &str) -> Result<(), ApiError> {
    if kind == ANY_KIND || is_valid_kind(kind) {
        Ok(())
    } else {
        Err(ApiError::invalid("kind", "must be `*` or lowercase words joined by dots, such as task.assigned"))
    }
}
