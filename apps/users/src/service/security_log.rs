//! The security log: failed password and code checks, and the delays they cause, recorded in
//! the audit trail (platform chain) with the account and the source — never what was typed as
//! the secret. An administrator reads them with `GET /api/v1/audit?action=user.login_failed`
//! (or `user.check_failed`, `user.throttled`), or `baseops audit export`.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::AuthSettings;
use baseops_core::{Acting, Actor, ApiError, Origin};
use baseops_db::Database;
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::throttle::{Failure, Reservation};

/// Which check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// E-mail and password at login or the token grant.
    Login,
    /// The authenticator or recovery code at login, after a right password.
    SecondFactor,
    /// The current password or code a signed-in user gave to confirm a sensitive change.
    Reauthentication,
}

impl Check {
    fn action(self) -> &'static str {
        match self {
            Self::Login => "user.login_failed",
            Self::SecondFactor => "user.second_factor_failed",
            Self::Reauthentication => "user.check_failed",
        }
    }
}

/// A failed check: who it was about and how it went.
#[derive(Debug, Clone, Copy)]
pub struct FailedCheck<'a> {
    /// The check.
    pub check: Check,
    /// The account as typed (normalized), whether or not it exists.
    pub account: &'a str,
    /// The user, when the account exists.
    pub user_id: Option<Uuid>,
    /// Who was signed in, for a re-authentication.
    pub actor: &'a Actor,
}

/// Counts the failure on the reservation's keys and records it (and a delay it started) in
/// one transaction of its own: the request that failed has nothing else to commit.
///
/// # Errors
/// Database errors.
pub async fn check_failed(
    db: &Database,
    settings: &AuthSettings,
    origin: &Origin,
    reservation: Reservation,
    failed: FailedCheck<'_>,
    now: DateTime<Utc>,
) -> Result<Failure, ApiError> {
    let txn = db.write().begin().await?;
    let failure = reservation.failed(&txn, settings, now).await?;
    let acting = Acting { actor: failed.actor, origin };
    let entity_id = failed.user_id.map_or_else(String::new, |id| id.to_string());
    let changes = Changes::new().set("account", None::<&str>, failed.account);
    let entry = AuditEntry::new(acting, None, failed.check.action(), "user", &entity_id);
    record(&txn, entry.changes(changes)).await?;
    if let Failure::Delayed(secs) = failure {
        let changes =
            Changes::new().set("account", None::<&str>, failed.account).set("wait_secs", None::<u64>, secs);
        let entry = AuditEntry::new(acting, None, "user.throttled", "user", &entity_id);
        record(&txn, entry.changes(changes)).await?;
    }
    txn.commit().await?;
    tracing::info!(ip = ?origin.ip, action = failed.check.action(), ?failure, "failed check");
    Ok(failure)
}
