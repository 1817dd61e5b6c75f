//! Brute-force protection: failed logins counted per account and per IP address, with a
//! lock-out that doubles with each further failure (capped at an hour).
//!
//! Counters are keyed by the e-mail address as typed (normalized), whether or not an account
//! has it, so a lock-out reveals nothing about which accounts exist. Failures are written in
//! their own transaction: the login that failed has nothing else to commit.

use std::net::IpAddr;

use baseops_config::AuthSettings;
use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::model::login_throttle;

/// Longest lock-out.
const MAX_LOCKOUT_SECS: i64 = 3600;

/// The throttle keys of one login attempt.
#[derive(Debug, Clone)]
pub struct Keys {
    account: String,
    ip: Option<String>,
}

impl Keys {
    /// Keys for an attempt on `email` from `ip`.
    pub fn new(email: &str, ip: Option<IpAddr>) -> Self {
        let account: String = email.trim().to_lowercase().chars().take(254).collect();
        Self { account: format!("account:{account}"), ip: ip.map(|ip| format!("ip:{ip}")) }
    }

    fn with_limits<'a>(&'a self, settings: &AuthSettings) -> impl Iterator<Item = (&'a str, u32)> {
        std::iter::once((self.account.as_str(), settings.max_failures_per_account))
            .chain(self.ip.as_deref().map(|ip| (ip, settings.max_failures_per_ip)))
    }
}

/// Seconds until the attempt may be made, when a key is locked out.
///
/// # Errors
/// Database errors.
pub async fn locked_for(
    db: &impl ConnectionTrait,
    keys: &Keys,
    now: DateTime<Utc>,
) -> Result<Option<u64>, DbErr> {
    let mut longest: Option<u64> = None;
    for key in [Some(keys.account.as_str()), keys.ip.as_deref()].into_iter().flatten() {
        if let Some(row) = login_throttle::Entity::find_by_id(key.to_owned()).one(db).await?
            && let Some(until) = row.locked_until
            && until > now
        {
            let secs = u64::try_from((until - now).num_seconds()).unwrap_or(0).max(1);
            longest = Some(longest.map_or(secs, |other| other.max(secs)));
        }
    }
    Ok(longest)
}

/// Counts a failure on every key; locks a key once its failures reach its limit.
///
/// The count is raised in one statement (`failures = failures + 1`), so failures arriving at
/// once all count: a read-then-write would let a burst of parallel guesses count as one.
///
/// # Errors
/// Database errors.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    keys: &Keys,
    settings: &AuthSettings,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for (key, limit) in keys.with_limits(settings) {
        let row = login_throttle::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(1),
            locked_until: Set(None),
            updated_at: Set(now),
        };
        login_throttle::Entity::insert(row)
            .on_conflict(
                OnConflict::column(login_throttle::Column::Key)
                    .value(login_throttle::Column::Failures, failures_plus_one())
                    .update_column(login_throttle::Column::UpdatedAt)
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        // At least this failure's count: others arriving meanwhile may have raised it further.
        let failures =
            login_throttle::Entity::find_by_id(key.to_owned()).one(db).await?.map_or(1, |row| row.failures);
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        if failures < limit {
            continue;
        }
        let doublings = u32::try_from(failures - limit).unwrap_or(0).min(16);
        let secs =
            i64::try_from(settings.lockout_secs).unwrap_or(MAX_LOCKOUT_SECS).saturating_mul(1 << doublings);
        let locked_until = now + Duration::seconds(secs.min(MAX_LOCKOUT_SECS));
        // Only ever lengthens a lock: a failure that saw a lower count does not shorten it.
        login_throttle::Entity::update_many()
            .col_expr(login_throttle::Column::LockedUntil, Expr::value(locked_until))
            .filter(login_throttle::Column::Key.eq(key))
            .filter(
                Condition::any()
                    .add(login_throttle::Column::LockedUntil.is_null())
                    .add(login_throttle::Column::LockedUntil.lt(locked_until)),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}

/// `failures + 1` of the row already there.
fn failures_plus_one() -> Expr {
    use sea_orm::sea_query::ExprTrait;
    Expr::col((login_throttle::Entity, login_throttle::Column::Failures)).add(1)
}

/// Clears the account's counter after a successful login (the IP's stays: one good
/// password does not vouch for every other attempt from that address).
///
/// # Errors
/// Database errors.
pub async fn clear_account(db: &impl ConnectionTrait, keys: &Keys) -> Result<(), DbErr> {
    login_throttle::Entity::delete_by_id(keys.account.clone()).exec(db).await?;
    Ok(())
}
