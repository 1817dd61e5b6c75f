//! Two-factor login: enrolment (a pending secret confirmed by a first code), recovery codes,
//! the second-factor check at login, and turning it off. Secrets are stored sealed
//! ([`crate::secret_box`]); turning it on or off mails the owner a security notice.

use baseops_audit::{AuditEntry, record};
use baseops_config::Settings;
use baseops_core::{Acting, ApiError};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use super::security_mail::{SecurityEvent, security_notice};
use crate::model::{recovery_code, user};
use crate::secret::digest;
use crate::secret_box::{Opened, TotpKey};
use crate::two_factor::{self, base32, normalize_recovery_code, otpauth_url, qr_svg};

/// What an authenticator app needs to enrol.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// The secret in base32, to type in.
    pub secret: String,
    /// The `otpauth://` URL.
    pub otpauth_url: String,
    /// The URL as a QR code (SVG).
    pub qr_svg: String,
}

/// The second factor given at login.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecondFactor<'a> {
    /// A 6-digit code from the authenticator app.
    pub totp_code: Option<&'a str>,
    /// One of the recovery codes.
    pub recovery_code: Option<&'a str>,
}

impl SecondFactor<'_> {
    /// Whether any second factor was given.
    pub fn given(&self) -> bool {
        self.totp_code.is_some() || self.recovery_code.is_some()
    }
}

fn unix(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or(0)
}

/// The user's stored secret, opened; `None` when there is none. One that does not open is a
/// 500 (its cause logged, never the value).
fn stored_secret(key: &TotpKey, found: &user::Model) -> Result<Option<Opened>, ApiError> {
    found
        .totp_secret
        .as_deref()
        .map(|stored| key.open(found.id, stored))
        .transpose()
        .map_err(ApiError::internal)
}

/// Starts enrolment: a new pending secret (replacing an unconfirmed one), sealed with the key
/// derived from `settings.secret_key`.
///
/// # Errors
/// 409 `two_factor_enabled` when it is already on.
pub async fn two_factor_start(
    txn: &impl ConnectionTrait,
    found: user::Model,
    settings: &Settings,
) -> Result<Enrolment, ApiError> {
    if found.totp_enabled_at.is_some() {
        return Err(ApiError::Conflict {
            code: "two_factor_enabled",
            detail: "Two-factor login is already on; turn it off first to enrol a new device.".into(),
        });
    }
    let secret = two_factor::new_secret();
    let url = otpauth_url(&secret, &found.email)
        .ok_or_else(|| ApiError::internal(std::io::Error::other("otpauth")))?;
    let svg = qr_svg(&url).ok_or_else(|| ApiError::internal(std::io::Error::other("qr code")))?;
    let sealed = TotpKey::from_settings(settings).seal(found.id, &secret);
    let mut active = found.into_active_model();
    active.totp_secret = Set(Some(sealed));
    active.update(txn).await?;
    Ok(Enrolment { secret: base32(&secret), otpauth_url: url, qr_svg: svg })
}

/// Confirms enrolment with a first code; returns the recovery codes, shown once. The owner is
/// mailed a security notice.
///
/// # Errors
/// 409 `two_factor_not_started` or `two_factor_enabled`; 422 for a wrong code; 500 for a
/// stored secret that does not open.
pub async fn two_factor_enable(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    found: user::Model,
    code: &str,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ApiError> {
    if found.totp_enabled_at.is_some() {
        return Err(ApiError::Conflict {
            code: "two_factor_enabled",
            detail: "Two-factor login is already on.".into(),
        });
    }
    let key = TotpKey::from_settings(settings);
    let opened = stored_secret(&key, &found)?.ok_or(ApiError::Conflict {
        code: "two_factor_not_started",
        detail: "Start with POST /api/v1/me/two-factor/setup.".into(),
    })?;
    let step = two_factor::check(&opened.secret, code, unix(now), None)
        .ok_or_else(|| ApiError::invalid("code", "is not the current code of the authenticator app"))?;
    let user_id = found.id;
    security_notice(txn, acting, &found, SecurityEvent::TwoFactorEnabled, settings, now).await?;
    let mut active = found.into_active_model();
    if opened.legacy {
        active.totp_secret = Set(Some(key.seal(user_id, &opened.secret)));
    }
    active.totp_enabled_at = Set(Some(now));
    active.totp_last_step = Set(Some(step));
    active.update(txn).await?;
    let codes = two_factor::recovery_codes();
    replace_recovery_codes(txn, user_id, &codes, now).await?;
    record(txn, AuditEntry::new(acting, None, "user.two_factor_enable", "user", user_id)).await?;
    Ok(codes)
}

async fn replace_recovery_codes(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
    codes: &[String],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(user_id)).exec(txn).await?;
    let rows = codes.iter().map(|code| recovery_code::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        code_hash: Set(digest(&normalize_recovery_code(code))),
        used_at: Set(None),
        created_at: Set(now),
    });
    recovery_code::Entity::insert_many(rows).exec_without_returning(txn).await?;
    Ok(())
}

/// Turns two-factor login off and deletes the recovery codes; when it was on, the owner is
/// mailed a security notice.
///
/// # Errors
/// Database errors; 500 for a notice that does not render.
pub async fn two_factor_disable(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    found: user::Model,
    settings: &Settings,
) -> Result<(), ApiError> {
    let user_id = found.id;
    let was_on = found.totp_enabled_at.is_some();
    if was_on {
        security_notice(txn, acting, &found, SecurityEvent::TwoFactorDisabled, settings, Utc::now()).await?;
    }
    let mut active = found.into_active_model();
    active.totp_secret = Set(None);
    active.totp_enabled_at = Set(None);
    active.totp_last_step = Set(None);
    active.update(txn).await?;
    recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(user_id)).exec(txn).await?;
    if was_on {
        record(txn, AuditEntry::new(acting, None, "user.two_factor_disable", "user", user_id)).await?;
    }
    Ok(())
}

/// Checks the second factor of a user who has it on; consumes what it accepts (the TOTP
/// step, or the recovery code). A secret stored before sealing is sealed once it accepts a
/// code.
///
/// # Errors
/// Database errors; 500 for a stored secret that does not open.
pub async fn two_factor_verify(
    txn: &impl ConnectionTrait,
    found: &user::Model,
    given: SecondFactor<'_>,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    if let Some(code) = given.totp_code {
        let key = TotpKey::from_settings(settings);
        let Some(opened) = stored_secret(&key, found)? else {
            return Ok(false);
        };
        let Some(step) = two_factor::check(&opened.secret, code, unix(now), found.totp_last_step) else {
            return Ok(false);
        };
        let mut update = user::Entity::update_many()
            .col_expr(user::Column::TotpLastStep, sea_orm::sea_query::Expr::value(step));
        if opened.legacy {
            let sealed = key.seal(found.id, &opened.secret);
            update = update.col_expr(user::Column::TotpSecret, sea_orm::sea_query::Expr::value(sealed));
        }
        // Only advances if no concurrent login took this step first.
        let updated = update
            .filter(user::Column::Id.eq(found.id))
            .filter(user::Column::TotpLastStep.is_null().or(user::Column::TotpLastStep.lt(step)))
            .exec(txn)
            .await?;
        return Ok(updated.rows_affected == 1);
    }
    if let Some(code) = given.recovery_code {
        let code = normalize_recovery_code(code);
        if code.len() > 32 {
            return Ok(false);
        }
        let used = recovery_code::Entity::update_many()
            .col_expr(recovery_code::Column::UsedAt, sea_orm::sea_query::Expr::value(now))
            .filter(recovery_code::Column::UserId.eq(found.id))
            .filter(recovery_code::Column::CodeHash.eq(digest(&code)))
            .filter(recovery_code::Column::UsedAt.is_null())
            .exec(txn)
            .await?;
        return Ok(used.rows_affected == 1);
    }
    Ok(false)
}
