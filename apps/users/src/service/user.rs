//! Creating users, changing passwords, deactivating.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::AuthSettings;
use baseops_core::{Acting, ApiError, Email, FieldErrors, check_version};
use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

use super::conflict_on_unique;
use crate::model::{api_token, user};
use crate::password::{PasswordHashing, check_strength};
use crate::session_store::SessionStore;
use crate::validate::{check_time_zone, clean_name};

/// What a new user starts with.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// E-mail address (normalized here).
    pub email: &'a str,
    /// Display name.
    pub display_name: &'a str,
    /// Password; `None` for an account that will set one through a link.
    pub password: Option<&'a str>,
    /// Superusers hold every permission everywhere.
    pub is_superuser: bool,
}

/// The audited shape of a user: never the password hash.
#[derive(Serialize)]
struct Audited<'a> {
    email: &'a str,
    display_name: &'a str,
    time_zone: &'a str,
    locale: &'a str,
    is_active: bool,
    is_superuser: bool,
}

fn audited(model: &user::Model) -> Audited<'_> {
    Audited {
        email: &model.email,
        display_name: &model.display_name,
        time_zone: &model.time_zone,
        locale: &model.locale,
        is_active: model.is_active,
        is_superuser: model.is_superuser,
    }
}

/// Creates a user: 422 on bad fields or a weak password, 409 `email_taken`.
///
/// # Errors
/// See above; database errors are 500.
pub async fn user_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    new: NewUser<'_>,
    hashing: &PasswordHashing,
    settings: &AuthSettings,
) -> Result<user::Model, ApiError> {
    let mut errors = FieldErrors::new();
    let email = match Email::parse(new.email) {
        Ok(email) => email.into_inner(),
        Err(error) => {
            errors.add("email", error.to_string());
            String::new()
        }
    };
    let display_name = clean_name(new.display_name, "display_name", &mut errors);
    if let Some(password) = new.password
        && let Err(weak) = check_strength(password, &email, settings)
    {
        errors.add("password", weak.to_string());
    }
    errors.into_result()?;
    let password_hash = match new.password {
        Some(password) => Some(hashing.hash(password).await.map_err(ApiError::internal)?),
        None => None,
    };

    let now = Utc::now();
    let model = user::Model {
        id: Uuid::now_v7(),
        email,
        display_name,
        time_zone: "UTC".to_owned(),
        locale: "en".to_owned(),
        avatar_key: None,
        password_hash,
        is_active: true,
        is_superuser: new.is_superuser,
        email_verified_at: None,
        last_login_at: None,
        created_at: now,
        updated_at: now,
        totp_secret: None,
        totp_enabled_at: None,
        totp_last_step: None,
        version: 1,
    };
    user::Entity::insert(model.clone().into_active_model()).exec_without_returning(txn).await.map_err(
        |error| conflict_on_unique(error, "email_taken", "A user with this e-mail address exists."),
    )?;
    record(
        txn,
        AuditEntry::new(acting, None, "user.create", "user", model.id)
            .changes(Changes::created(&audited(&model))),
    )
    .await?;
    Ok(model)
}

/// Profile fields a user may change about themself; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    /// New display name.
    pub display_name: Option<String>,
    /// New IANA time zone.
    pub time_zone: Option<String>,
    /// New locale (`en`, `fr-CA`).
    pub locale: Option<String>,
}

/// Updates a user's own profile. With `expected` (the client's `If-Match`) the change
/// applies only at that profile version: one `UPDATE … WHERE id = ? AND version = ?`, so of
/// two writers holding the same version the second gets 412. Every change bumps the
/// version; a request that changes nothing leaves it.
///
/// # Errors
/// 422 on bad fields, 404 for an unknown user, 412 `version_mismatch`.
pub async fn user_update_profile(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    expected: Option<i32>,
    change: ProfileChange,
) -> Result<user::Model, ApiError> {
    let before = user::Entity::find_by_id(user_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    check_version(before.version, expected)?;
    let mut after = before.clone();
    let mut errors = FieldErrors::new();
    if let Some(name) = change.display_name {
        after.display_name = clean_name(&name, "display_name", &mut errors);
    }
    if let Some(zone) = change.time_zone {
        if let Err(message) = check_time_zone(&zone) {
            errors.add("time_zone", message);
        }
        after.time_zone = zone;
    }
    if let Some(locale) = change.locale {
        let ok = (2..=16).contains(&locale.len())
            && locale.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            errors.add("locale", "must be a language tag such as en or fr-CA");
        }
        after.locale = locale;
    }
    errors.into_result()?;
    let changes = Changes::between(&audited(&before), &audited(&after));
    if changes.is_empty() {
        return Ok(before);
    }
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::DisplayName, Expr::value(after.display_name.clone()))
        .col_expr(user::Column::TimeZone, Expr::value(after.time_zone.clone()))
        .col_expr(user::Column::Locale, Expr::value(after.locale.clone()))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(user::Column::Version, Expr::col(user::Column::Version).add(1))
        .filter(user::Column::Id.eq(user_id));
    if let Some(expected) = expected {
        update = update.filter(user::Column::Version.eq(expected));
    }
    if update.exec(txn).await?.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    record(txn, AuditEntry::new(acting, None, "user.update", "user", user_id).changes(changes)).await?;
    user::Entity::find_by_id(user_id).one(txn).await?.ok_or(ApiError::NotFound)
}

/// A new password, and which sessions survive it.
#[derive(Debug, Clone, Copy)]
pub struct NewPassword<'a> {
    /// The new password (checked for strength).
    pub password: &'a str,
    /// The session that made the change, which stays; every other one ends.
    pub keep_session: Option<Uuid>,
    /// Where sessions live.
    pub sessions: &'a SessionStore,
}

/// Sets a new password (checked for strength) and ends every session but `keep_session`.
///
/// # Errors
/// 422 for a weak password, 404 for an unknown user.
pub async fn user_set_password(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    change: NewPassword<'_>,
    hashing: &PasswordHashing,
    settings: &AuthSettings,
) -> Result<(), ApiError> {
    let NewPassword { password, keep_session, sessions } = change;
    let found = user::Entity::find_by_id(user_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    check_strength(password, &found.email, settings)
        .map_err(|weak| ApiError::invalid("password", weak.to_string()))?;
    let hash = hashing.hash(password).await.map_err(ApiError::internal)?;
    let mut active = found.into_active_model();
    active.password_hash = Set(Some(hash));
    active.updated_at = Set(Utc::now());
    active.update(txn).await?;
    sessions.remove_for_user(txn, user_id, keep_session).await?;
    record(
        txn,
        AuditEntry::new(acting, None, "user.password_change", "user", user_id).changes(Changes::new().set(
            "password",
            "[redacted]",
            "[redacted]",
        )),
    )
    .await?;
    Ok(())
}

/// Deactivates a user: they can no longer log in, their sessions end and their tokens are
/// revoked. The row stays: users with history are never deleted.
///
/// # Errors
/// 404 for an unknown user.
pub async fn user_deactivate(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    sessions: &SessionStore,
) -> Result<(), ApiError> {
    let found = user::Entity::find_by_id(user_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    if !found.is_active {
        return Ok(());
    }
    let now = Utc::now();
    let mut active = found.into_active_model();
    active.is_active = Set(false);
    active.updated_at = Set(now);
    active.update(txn).await?;
    sessions.remove_for_user(txn, user_id, None).await?;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    record(
        txn,
        AuditEntry::new(acting, None, "user.deactivate", "user", user_id).changes(Changes::new().set(
            "is_active",
            true,
            false,
        )),
    )
    .await?;
    baseops_roles::epoch::access_changed(txn).await?;
    Ok(())
}
