//! Brute-force protection for every check of a password or a code: logins, the token grant,
//! second factors, recovery codes, and the re-authentication a password change or turning
//! two-factor off asks for.
//!
//! An attempt first **reserves** a slot on each key it counts under, in one statement per key
//! (insert or raise the count, returning it); only an attempt that got every slot goes on to
//! the slow check. The statement refuses while the key waits out a delay, and the reservation
//! that reaches a key's limit starts a provisional delay itself, so a burst of parallel
//! attempts cannot all slip through between a read and a write: the database orders them,
//! and no more checks run than the limit allows. A check that succeeds gives its slots back;
//! one that fails keeps them and, at a limit, sets the real delay: [`Settings::lockout_secs`],
//! doubling with each further failure, up to an hour.
//!
//! Keys, so that a guesser cannot lock the owner out:
//! - `pair:<account>|<ip>` — one account from one address (`max_failures_per_account_and_ip`):
//!   what slows a guesser down, without touching the owner at another address;
//! - `ip:<address>` — one address on any accounts (`max_failures_per_ip`): password spraying;
//! - `account:<account>` — one account from anywhere (`max_failures_per_account`, 100 by
//!   default as ASVS 2.2.1 asks): guessing spread over many addresses.
//!
//! Counts are forgotten `failure_window_secs` after the last failure (or after the delay it
//! caused), and the hourly `users.purge` job deletes rows that no longer hold anything.
//! Accounts are keyed by the e-mail address as typed (normalized), whether or not an account
//! has it, so a delay reveals nothing about which accounts exist. Times are Unix milliseconds,
//! compared and added in SQL the same way on SQLite and PostgreSQL.
//!
//! [`Settings::lockout_secs`]: baseops_config::AuthSettings::lockout_secs

use std::net::IpAddr;

use baseops_config::AuthSettings;
use baseops_core::ApiError;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::model::auth_throttle::{self, Column};

/// Longest delay, in milliseconds.
const MAX_DELAY_MS: i64 = 3_600_000;

/// How long a reservation that reached a limit holds the key while its check runs: longer
/// than any check takes, and short enough that a crash mid-check does not lock for long.
const PROVISIONAL_MS: i64 = 60_000;

/// Longest account part of a key, and of an account as logged: an e-mail address is at most
/// 254 characters.
pub const MAX_ACCOUNT_CHARS: usize = 254;

/// The keys one attempt counts under.
#[derive(Debug, Clone)]
pub struct Keys {
    pair: String,
    ip: Option<String>,
    account: String,
}

impl Keys {
    /// Keys for an attempt on the account `email` (as typed) from `ip`.
    pub fn new(email: &str, ip: Option<IpAddr>) -> Self {
        let account = account_of(email);
        let source = ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string());
        Self {
            pair: format!("pair:{account}|{source}"),
            ip: ip.map(|ip| format!("ip:{ip}")),
            account: format!("account:{account}"),
        }
    }

    /// Each key with its limit, the broadest first: a refused attempt then touches the fewest.
    fn limited(&self, settings: &AuthSettings) -> Vec<(String, u32)> {
        let mut keys = Vec::with_capacity(3);
        if let Some(ip) = &self.ip {
            keys.push((ip.clone(), settings.max_failures_per_ip));
        }
        keys.push((self.account.clone(), settings.max_failures_per_account));
        keys.push((self.pair.clone(), settings.max_failures_per_account_and_ip));
        keys
    }
}

/// The account an attempt names, as counted and logged: the address typed, trimmed, cut to
/// [`MAX_ACCOUNT_CHARS`] before anything else reads it (a body may hold megabytes), lower-cased.
pub fn account_of(email: &str) -> String {
    email.trim().chars().take(MAX_ACCOUNT_CHARS).collect::<String>().to_lowercase()
}

/// Whether `email` is longer than any address an account can have.
pub fn too_long_for_an_account(email: &str) -> bool {
    email.trim().chars().nth(MAX_ACCOUNT_CHARS).is_some()
}

/// The slots one attempt holds until its check ends: give them back with
/// [`Reservation::succeeded`] or keep them with [`Reservation::failed`].
#[must_use = "a reservation must end in succeeded or failed"]
#[derive(Debug)]
pub struct Reservation {
    /// Key, limit and the count this attempt reached.
    held: Vec<(String, u32, i32)>,
    pair: String,
}

/// What a failed check did to the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Counted; more attempts may follow at once.
    Counted,
    /// Counted, and a limit was reached: the next attempt must wait this many seconds.
    Delayed(u64),
}

/// Reserves a check on every key of `keys`, or 429 with `Retry-After` while one waits out a
/// delay. Run it on the write pool outside any transaction: others must see it at once.
///
/// # Errors
/// [`ApiError::RateLimited`]; database errors.
pub async fn reserve(
    db: &impl ConnectionTrait,
    keys: &Keys,
    settings: &AuthSettings,
    now: DateTime<Utc>,
) -> Result<Reservation, ApiError> {
    let now_ms = now.timestamp_millis();
    let window_ms = secs_to_ms(settings.failure_window_secs);
    let mut reservation = Reservation { held: Vec::with_capacity(3), pair: keys.pair.clone() };
    for (key, limit) in keys.limited(settings) {
        match reserve_key(db, &key, limit, now_ms, window_ms).await? {
            Some(count) => reservation.held.push((key, limit, count)),
            None => {
                // Refused on this key: the slots already taken were never used.
                let retry_after_secs = waiting_secs(db, &key, now_ms).await?;
                reservation.release(db).await?;
                return Err(ApiError::RateLimited { retry_after_secs });
            }
        }
    }
    Ok(reservation)
}

/// One key's reservation: the count it reached, or `None` while the key waits out a delay.
async fn reserve_key(
    db: &impl ConnectionTrait,
    key: &str,
    limit: u32,
    now_ms: i64,
    window_ms: i64,
) -> Result<Option<i32>, DbErr> {
    use sea_orm::sea_query::ExprTrait as _;
    let limit = i32::try_from(Ord::max(limit, 1)).unwrap_or(i32::MAX);
    let table = || Expr::col((auth_throttle::Entity, Column::Failures));
    let expired = Expr::col((auth_throttle::Entity, Column::WindowEndsMs)).lte(now_ms);
    // The count after this attempt: 1 when the window has run out, else one more.
    let count = || -> Expr { Expr::case(expired.clone(), 1).finally(table().add(1)).into() };
    let lock = Expr::case(count().gte(limit), now_ms + PROVISIONAL_MS).finally(0);
    let first_lock = if limit <= 1 { now_ms + PROVISIONAL_MS } else { 0 };
    let statement = Query::insert()
        .into_table(auth_throttle::Entity)
        .columns([Column::Key, Column::Failures, Column::WindowEndsMs, Column::LockedUntilMs])
        .values_panic([key.into(), 1.into(), (now_ms + window_ms).into(), first_lock.into()])
        .on_conflict(
            OnConflict::column(Column::Key)
                .values([
                    (Column::Failures, count()),
                    (Column::WindowEndsMs, Expr::val(now_ms + window_ms)),
                    (Column::LockedUntilMs, lock.into()),
                ])
                .action_and_where(Expr::col((auth_throttle::Entity, Column::LockedUntilMs)).lte(now_ms))
                .to_owned(),
        )
        .returning_col(Column::Failures)
        .to_owned();
    let row = db.query_one(&statement).await?;
    row.map(|row| row.try_get::<i32>("", "failures")).transpose()
}

/// Seconds until `key` takes attempts again (at least 1).
async fn waiting_secs(db: &impl ConnectionTrait, key: &str, now_ms: i64) -> Result<u64, DbErr> {
    let until =
        auth_throttle::Entity::find_by_id(key.to_owned()).one(db).await?.map_or(0, |row| row.locked_until_ms);
    Ok(u64::try_from(ceil_secs(until - now_ms)).unwrap_or(0).max(1))
}

impl Reservation {
    /// The check passed: the slots go back, and the account's count from this address starts
    /// over (the owner knows the password; earlier typos no longer count).
    ///
    /// # Errors
    /// Database errors.
    pub async fn succeeded(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        auth_throttle::Entity::delete_by_id(self.pair.clone()).exec(db).await?;
        self.release(db).await
    }

    /// The check failed: the slots stay counted, and a key at its limit waits.
    ///
    /// # Errors
    /// Database errors.
    pub async fn failed(
        self,
        db: &impl ConnectionTrait,
        settings: &AuthSettings,
        now: DateTime<Utc>,
    ) -> Result<Failure, DbErr> {
        let now_ms = now.timestamp_millis();
        let window_ms = secs_to_ms(settings.failure_window_secs);
        let mut longest = 0;
        for (key, limit, count) in &self.held {
            let over = i64::from(*count) - i64::from(*limit);
            if over < 0 {
                continue;
            }
            let doublings = u32::try_from(over).unwrap_or(u32::MAX).min(16);
            let delay = secs_to_ms(settings.lockout_secs).saturating_mul(1 << doublings).min(MAX_DELAY_MS);
            let until = now_ms + delay;
            auth_throttle::Entity::update_many()
                .col_expr(Column::LockedUntilMs, Expr::val(until))
                .col_expr(Column::WindowEndsMs, Expr::val(until + window_ms))
                .filter(Column::Key.eq(key.as_str()))
                .exec(db)
                .await?;
            longest = longest.max(delay);
        }
        Ok(match longest {
            0 => Failure::Counted,
            delay => Failure::Delayed(u64::try_from(ceil_secs(delay)).unwrap_or(1)),
        })
    }

    /// The check neither passed nor failed (the password was right, the second factor not
    /// given yet): the slots go back, the counts stay.
    ///
    /// # Errors
    /// Database errors.
    pub async fn abandon(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        self.release(db).await
    }

    /// Gives the slots back: one failure less, and no provisional delay this attempt started.
    /// A delay someone else's failure set stays: a good password of one's own must not lift
    /// the delay of an address that is guessing at others.
    async fn release(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        use sea_orm::sea_query::ExprTrait as _;
        for (key, limit, count) in &self.held {
            let failures = Expr::col(Column::Failures);
            let mut update = auth_throttle::Entity::update_many()
                .col_expr(
                    Column::Failures,
                    Expr::case(failures.clone().gt(0), failures.sub(1)).finally(0).into(),
                )
                .filter(Column::Key.eq(key.as_str()));
            // Reaching the limit started the provisional delay, and it kept everyone else out.
            if i64::from(*count) >= i64::from(*limit) {
                update = update.col_expr(Column::LockedUntilMs, Expr::val(0));
            }
            update.exec(db).await?;
        }
        Ok(())
    }
}

/// Deletes counters that hold nothing any more: their window and any delay are over.
///
/// # Errors
/// Database errors.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let now_ms = now.timestamp_millis();
    let deleted = auth_throttle::Entity::delete_many()
        .filter(Column::WindowEndsMs.lte(now_ms))
        .filter(Column::LockedUntilMs.lte(now_ms))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Whole seconds, rounded up, of a positive number of milliseconds.
fn ceil_secs(ms: i64) -> i64 {
    ms.saturating_add(999) / 1000
}

fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX / 1000).saturating_mul(1000)
}
