//! Password reset and e-mail verification by mailed single-use links.
//!
//! Each request function renders its message and enqueues it in the caller's transaction
//! ([`baseops_email::enqueue_email`]): the worker sends it once the link's token committed, and
//! the request never waits on the mail server. A reset request answers the same whether or not
//! the address has an account, and a user is sent at most [`MAX_LINKS_PER_HOUR`] live links of
//! each kind an hour: further requests send nothing.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::Settings;
use baseops_core::{Acting, ApiError, Email, FieldErrors};
use baseops_email::{Templates, enqueue_email};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use super::onetime::{
    self, NewToken, Purpose, end_others, invalid_link, link, live_in_last_hour, minutes_after,
};
use super::security_mail::PasswordSetBy;
use super::user::{NewPassword, user_set_password};
use crate::model::user;
use crate::password::{Password, PasswordHashing};
use crate::session_store::SessionStore;

/// Most live links of one kind a user is sent in an hour.
pub const MAX_LINKS_PER_HOUR: u64 = 3;
/// The console page a reset link opens.
pub const RESET_PATH: &str = "/admin/reset-password";
/// The console page a verification link opens.
pub const VERIFY_PATH: &str = "/admin/verify-email";

/// Issues a password-reset link for the account with this address, if there is an active
/// one and it was not sent too many already, and enqueues the message carrying it. Returns
/// the e-mail job's id when a link was issued.
///
/// The address was parsed at the edge ([`PasswordResetRequest::check`]): a malformed one is
/// refused whether or not it has an account, which reveals nothing.
///
/// # Errors
/// Database errors; 500 for a template that does not render.
pub async fn password_reset_request(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    email: &Email,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, ApiError> {
    let Some(found) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .filter(user::Column::IsActive.eq(true))
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let kind = LinkKind {
        purpose: Purpose::PasswordReset,
        action: "user.password_reset_request",
        template: "password_reset",
        path: RESET_PATH,
    };
    send_link(txn, acting, &found, kind, settings, now).await
}

/// A request for a password-reset link.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The account's e-mail address (at most 254 characters).
    pub email: String,
}

impl PasswordResetRequest {
    /// Parses the address.
    ///
    /// # Errors
    /// `email` when it is not an e-mail address.
    pub fn check(self) -> Result<Email, FieldErrors> {
        Email::parse(&self.email).map_err(|error| {
            let mut errors = FieldErrors::new();
            errors.add("email", error.to_string());
            errors
        })
    }
}

/// One kind of e-mailed link.
struct LinkKind {
    purpose: Purpose,
    /// The audit action of issuing it.
    action: &'static str,
    template: &'static str,
    /// The console page it opens.
    path: &'static str,
}

/// Issues a link of `kind` to `found` unless too many were sent in the last hour, records
/// it, and enqueues the message carrying it. Returns the e-mail job's id when one was issued.
async fn send_link(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    found: &user::Model,
    kind: LinkKind,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, ApiError> {
    if live_in_last_hour(txn, kind.purpose, found.id, now).await? >= MAX_LINKS_PER_HOUR {
        tracing::info!(user_id = %found.id, action = kind.action, "link not sent: too many in the last hour");
        return Ok(None);
    }
    let valid_minutes = settings.auth.link_valid_minutes;
    let issued = onetime::issue(
        txn,
        NewToken {
            purpose: kind.purpose,
            user_id: Some(found.id),
            organization_id: None,
            email: &found.email,
            role_key: None,
            created_by: acting.actor.user_id(),
            expires_at: minutes_after(now, valid_minutes),
        },
        now,
    )
    .await?;
    let changes = Changes::new().set("link_id", None::<()>, issued.row.id).set(
        "expires_at",
        None::<()>,
        issued.row.expires_at,
    );
    record(txn, AuditEntry::new(acting, None, kind.action, "user", found.id).changes(changes)).await?;
    let context = LinkMail {
        email: &found.email,
        url: link(settings, kind.path, &issued.token),
        token: &issued.token,
        valid_minutes,
    };
    let message = Templates::from_settings(settings)
        .render(kind.template, Some(&found.locale), &found.email, context)
        .map_err(ApiError::internal)?;
    Ok(Some(enqueue_email(txn, acting, None, message).await?))
}

/// What the password-reset and verification templates see.
#[derive(serde::Serialize)]
struct LinkMail<'a> {
    email: &'a str,
    url: String,
    token: &'a str,
    valid_minutes: u64,
}

/// A reset link's token and the password to set with it.
#[derive(Debug, Clone, Copy)]
pub struct PasswordReset<'a> {
    /// The token from the link.
    pub token: &'a str,
    /// The new password.
    pub new_password: &'a str,
}

/// Sets a new password with a reset link: every session of the user ends, their API tokens are
/// revoked (unless `auth.revoke_tokens_on_password_reset` is off), the link and the user's
/// other reset links stop working. The password is checked here, once the link is
/// known good: the strength rule needs the address of the account the link is for.
///
/// # Errors
/// 400 `invalid_link` for an unknown, used or expired link (or a deactivated account); 422
/// for a weak password, after which the caller rolls back and the link still works.
pub async fn password_reset(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    reset: PasswordReset<'_>,
    sessions: &SessionStore,
    hashing: &PasswordHashing,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Uuid, ApiError> {
    let used = onetime::consume(txn, Purpose::PasswordReset, reset.token, now).await?;
    let user_id = used.user_id.ok_or_else(invalid_link)?;
    let found = user::Entity::find_by_id(user_id).one(txn).await?.ok_or_else(invalid_link)?;
    if !found.is_active {
        return Err(invalid_link());
    }
    let password = Password::parse(reset.new_password, &found.email, &settings.auth)
        .map_err(|weak| ApiError::invalid("password", weak.to_string()))?;
    let change = NewPassword { password, keep_session: None, sessions };
    user_set_password(txn, acting, user_id, change, hashing, PasswordSetBy::Reset, settings).await?;
    end_others(txn, Purpose::PasswordReset, user_id, now).await?;
    // Whoever had the old password may have made tokens with it: by default they go too.
    let tokens_revoked = if settings.auth.revoke_tokens_on_password_reset {
        super::token::token_revoke_all(txn, user_id).await?
    } else {
        0
    };
    let changes =
        Changes::new().set("link_id", None::<()>, used.id).set("tokens_revoked", None::<()>, tokens_revoked);
    record(txn, AuditEntry::new(acting, None, "user.password_reset", "user", user_id).changes(changes))
        .await?;
    Ok(user_id)
}

/// Issues an e-mail verification link to the user's address, unless they were sent too many
/// already, and enqueues the message carrying it. Returns the e-mail job's id when a link was
/// issued.
///
/// # Errors
/// 409 `already_verified`; 404 for an unknown user; database errors; 500 for a template that
/// does not render.
pub async fn email_verification_request(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, ApiError> {
    let found = user::Entity::find_by_id(user_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    if found.email_verified_at.is_some() {
        return Err(ApiError::Conflict {
            code: "already_verified",
            detail: "Your e-mail address is already verified.".into(),
        });
    }
    let kind = LinkKind {
        purpose: Purpose::EmailVerification,
        action: "user.email_verification_request",
        template: "email_verification",
        path: VERIFY_PATH,
    };
    send_link(txn, acting, &found, kind, settings, now).await
}

/// Marks the user's address verified with a verification link.
///
/// # Errors
/// 400 `invalid_link` for an unknown, used or expired link, or one sent to an address the
/// user no longer has.
pub async fn email_verify(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, ApiError> {
    let used = onetime::consume(txn, Purpose::EmailVerification, token, now).await?;
    let user_id = used.user_id.ok_or_else(invalid_link)?;
    let found = user::Entity::find_by_id(user_id).one(txn).await?.ok_or_else(invalid_link)?;
    if found.email != used.email {
        return Err(invalid_link());
    }
    end_others(txn, Purpose::EmailVerification, user_id, now).await?;
    if found.email_verified_at.is_none() {
        mark_verified(txn, acting, found, now).await?;
    }
    Ok(user_id)
}

/// Sets `email_verified_at` and records `user.email_verified`.
pub(crate) async fn mark_verified(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    found: user::Model,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let user_id = found.id;
    let mut active = found.into_active_model();
    active.email_verified_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(txn).await?;
    record(
        txn,
        AuditEntry::new(acting, None, "user.email_verified", "user", user_id).changes(Changes::new().set(
            "email_verified_at",
            None::<()>,
            now,
        )),
    )
    .await?;
    Ok(())
}
