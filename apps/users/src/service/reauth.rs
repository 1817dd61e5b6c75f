//! Re-authentication: a signed-in user confirms a sensitive change — a new password, turning
//! two-factor login off — with their current password (and a code, when asked). The check
//! goes through the login throttle under the user's own keys, so a stolen session cookie
//! cannot guess the password faster than a login could; and once a limit is reached, the
//! session that guessed is ended.

use baseops_audit::{AuditEntry, record};
use baseops_config::Settings;
use baseops_core::{Acting, Actor, ApiError, Origin};
use baseops_db::Database;
use chrono::Utc;
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::security_log::{self, Check, FailedCheck};
use super::throttle::{self, Failure, Keys};
use super::two_factor::{SecondFactor, two_factor_verify};
use crate::model::{session, user};
use crate::password::{MAX_PASSWORD_LEN, PasswordHashing};
use crate::session_store::SessionStore;

/// What the user must show again.
#[derive(Debug, Clone, Copy)]
pub struct Proof<'a> {
    /// The current password.
    pub password: &'a str,
    /// A current authenticator or recovery code, when the change needs one.
    pub second_factor: Option<SecondFactor<'a>>,
}

/// The session asking, and where the request came from.
#[derive(Debug, Clone, Copy)]
pub struct Asking<'a> {
    /// The signed-in user.
    pub user: &'a user::Model,
    /// Their session (re-authentication is for sessions only).
    pub session: &'a session::Model,
    /// The request's origin.
    pub origin: &'a Origin,
}

/// Checks `proof` for the signed-in user: a transaction to make the change in (a recovery
/// code given is already used up in it), or 403 `wrong_password` / `invalid_second_factor`,
/// or — at the throttle's limit — 401 `session_ended` after ending the session.
///
/// # Errors
/// As above; 429 while the throttle makes the user wait; database errors.
pub async fn reauthenticate(
    db: &Database,
    sessions: &SessionStore,
    settings: &Settings,
    hashing: &PasswordHashing,
    asking: Asking<'_>,
    proof: Proof<'_>,
) -> Result<DatabaseTransaction, ApiError> {
    let Asking { user, session, origin } = asking;
    let now = Utc::now();
    let keys = Keys::new(&user.email, origin.ip);
    let reservation = throttle::reserve(db.write(), &keys, &settings.auth, now).await?;
    let password_ok = match user.password_hash.as_deref() {
        Some(hash) if proof.password.len() <= MAX_PASSWORD_LEN * 4 => {
            hashing.verify(proof.password, hash).await
        }
        _ => {
            hashing.verify_nothing(proof.password).await;
            false
        }
    };
    let txn = db.write().begin().await?;
    let refused = if !password_ok {
        Some(ApiError::Refused { code: "wrong_password", detail: "The current password is wrong.".into() })
    } else {
        match proof.second_factor {
            Some(given) if !given.given() || !two_factor_verify(&txn, user, given, settings, now).await? => {
                Some(ApiError::Refused {
                    code: "invalid_second_factor",
                    detail: "Send a current authenticator code (totp_code) or an unused recovery_code."
                        .into(),
                })
            }
            _ => None,
        }
    };
    let Some(refused) = refused else {
        reservation.succeeded(&txn).await?;
        return Ok(txn);
    };
    drop(txn);
    let actor = Actor::User { user_id: user.id };
    let failed = FailedCheck {
        check: Check::Reauthentication,
        account: &user.email,
        user_id: Some(user.id),
        actor: &actor,
    };
    let failure = security_log::check_failed(db, &settings.auth, origin, reservation, failed, now).await?;
    if failure == Failure::Counted {
        return Err(refused);
    }
    let txn = db.write().begin().await?;
    sessions.remove(&txn, session).await?;
    let entry =
        AuditEntry::new(Acting { actor: &actor, origin }, None, "user.session_ended", "session", session.id);
    record(&txn, entry).await?;
    txn.commit().await?;
    Err(ApiError::NotAuthenticated {
        code: "session_ended",
        detail: "Too many wrong attempts: this session has ended. Log in again.".into(),
    })
}
