//! Logging in and out: server-side sessions for the console.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::Settings;
use baseops_core::{Acting, Actor, ApiError, Origin};
use baseops_db::Database;
use chrono::{Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use super::security_log::{self, Check, FailedCheck};
use super::throttle::{self, Keys};
use super::two_factor::{self, SecondFactor};
use crate::model::{session, user};
use crate::password::{MAX_PASSWORD_LEN, PasswordHashing};
use crate::secret::{digest, random_token};
use crate::session_store::SessionStore;

/// A session just opened: the cookie value is shown here once and never stored.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    /// The cookie value.
    pub token: String,
    /// The stored session (holds the CSRF token).
    pub session: session::Model,
    /// The user who logged in.
    pub user: user::Model,
}

/// What a person types to log in.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// E-mail address, as typed.
    pub email: &'a str,
    /// Password.
    pub password: &'a str,
    /// The second factor, for users who have it on.
    pub second_factor: SecondFactor<'a>,
}

fn invalid_credentials() -> ApiError {
    ApiError::NotAuthenticated {
        code: "invalid_credentials",
        detail: "The e-mail address or password is wrong.".into(),
    }
}

/// Checks an e-mail and password (and the second factor, when the user has it on): the
/// user, and a transaction in which the throttle's slots are already given back, for the
/// caller to open what the login is for and commit. Wrong e-mail, wrong password and a
/// deactivated account all get the same 401 `invalid_credentials` in the same time; too many
/// failures get 429 with `Retry-After`. Every way in by password goes through here, so all
/// share one throttle, reserved before the password is checked ([`throttle::reserve`]).
///
/// # Errors
/// As above; database errors are 500.
pub async fn credentials_verify(
    db: &Database,
    settings: &Settings,
    hashing: &PasswordHashing,
    origin: &Origin,
    credentials: Credentials<'_>,
) -> Result<(user::Model, DatabaseTransaction), ApiError> {
    let Credentials { email, password, second_factor } = credentials;
    let now = Utc::now();
    let keys = Keys::new(email, origin.ip);
    let reservation = throttle::reserve(db.write(), &keys, &settings.auth, now).await?;
    let normalized = throttle::account_of(email);
    // No account has a longer address: nothing to look up (the failure is counted all the same).
    let found = if throttle::too_long_for_an_account(email) {
        None
    } else {
        user::Entity::find().filter(user::Column::Email.eq(normalized.as_str())).one(db.write()).await?
    };
    let password_ok = match found.as_ref().and_then(|user| user.password_hash.as_deref()) {
        Some(hash) if password.len() <= MAX_PASSWORD_LEN * 4 => hashing.verify(password, hash).await,
        _ => {
            hashing.verify_nothing(password).await;
            false
        }
    };
    let failed =
        |check, user_id| FailedCheck { check, account: &normalized, user_id, actor: &Actor::Anonymous };
    let user = match found {
        Some(user) if password_ok && user.is_active => user,
        found => {
            let attempt = failed(Check::Login, found.map(|user| user.id));
            security_log::check_failed(db, &settings.auth, origin, reservation, attempt, now).await?;
            return Err(invalid_credentials());
        }
    };

    let txn = db.write().begin().await?;
    if user.totp_enabled_at.is_some() {
        if !second_factor.given() {
            drop(txn);
            // The password was right: not a failure, but no fresh start either, or asking
            // without a code would wipe the count of wrong codes.
            reservation.abandon(db.write()).await?;
            return Err(ApiError::NotAuthenticated {
                code: "two_factor_required",
                detail: "Send totp_code (or a recovery_code) with the e-mail address and password.".into(),
            });
        }
        if !two_factor::two_factor_verify(&txn, &user, second_factor, settings, now).await? {
            drop(txn);
            let attempt = failed(Check::SecondFactor, Some(user.id));
            security_log::check_failed(db, &settings.auth, origin, reservation, attempt, now).await?;
            return Err(ApiError::NotAuthenticated {
                code: "invalid_second_factor",
                detail: "The authenticator code or recovery code is wrong or was used already.".into(),
            });
        }
    }
    reservation.succeeded(&txn).await?;
    Ok((user, txn))
}

/// Checks the credentials ([`credentials_verify`]) and opens a session. `replaces` (the
/// session the browser already had) is ended, so a login always rotates the session id.
///
/// # Errors
/// As [`credentials_verify`]; database errors are 500.
pub async fn session_login(
    db: &Database,
    sessions: &SessionStore,
    settings: &Settings,
    hashing: &PasswordHashing,
    origin: &Origin,
    credentials: Credentials<'_>,
    replaces: Option<&str>,
) -> Result<OpenedSession, ApiError> {
    let (user, txn) = credentials_verify(db, settings, hashing, origin, credentials).await?;
    let now = Utc::now();
    if let Some(old) = replaces {
        sessions.remove_token(&txn, old).await?;
    }
    let token = random_token();
    let session = session::Model {
        id: Uuid::now_v7(),
        token_hash: digest(&token),
        user_id: user.id,
        csrf_token: random_token(),
        ip: origin.ip.map(|ip| ip.to_string()),
        user_agent: origin.user_agent.clone(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + hours(settings.session.max_age_hours),
    };
    sessions.insert(&txn, settings, &session).await?;
    let mut active = user.clone().into_active_model();
    active.last_login_at = Set(Some(now));
    sea_orm::ActiveModelTrait::update(active, &txn).await?;
    let actor = Actor::User { user_id: user.id };
    record(
        &txn,
        AuditEntry::new(Acting { actor: &actor, origin }, None, "user.login", "session", session.id),
    )
    .await?;
    txn.commit().await?;
    Ok(OpenedSession { token, session, user })
}

fn hours(value: u64) -> Duration {
    Duration::hours(i64::try_from(value).unwrap_or(i64::MAX / 3_600_000))
}

/// Ends one of the user's own sessions by id (from `GET /me/sessions`); 404 for a session that
/// is not theirs or is over.
///
/// # Errors
/// 404; database or Redis errors.
pub async fn session_revoke(
    db: &Database,
    sessions: &SessionStore,
    settings: &Settings,
    acting: Acting<'_>,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<(), ApiError> {
    let live = sessions.list_for_user(db.write(), settings, user_id, Utc::now()).await?;
    let found = live.into_iter().find(|row| row.id == session_id).ok_or(ApiError::NotFound)?;
    let txn = db.write().begin().await?;
    sessions.remove(&txn, &found).await?;
    record(&txn, AuditEntry::new(acting, None, "user.session_revoked", "session", found.id)).await?;
    txn.commit().await?;
    Ok(())
}

/// Ends one session (`everywhere = false`) or every session of its user.
///
/// # Errors
/// Database errors.
pub async fn session_logout(
    db: &Database,
    sessions: &SessionStore,
    origin: &Origin,
    found: &session::Model,
    everywhere: bool,
) -> Result<u64, ApiError> {
    let txn = db.write().begin().await?;
    let ended = if everywhere {
        sessions.remove_for_user(&txn, found.user_id, None).await?
    } else {
        sessions.remove(&txn, found).await?;
        1
    };
    let actor = Actor::User { user_id: found.user_id };
    let action = if everywhere { "user.logout_everywhere" } else { "user.logout" };
    let entry = AuditEntry::new(Acting { actor: &actor, origin }, None, action, "session", found.id);
    record(&txn, entry.changes(Changes::new().set("sessions_ended", None::<u64>, ended))).await?;
    txn.commit().await?;
    Ok(ended)
}
