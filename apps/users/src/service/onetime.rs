//! Single-use links: a random token in the link, its SHA-256 in `one_time_tokens`.
//!
//! A token is consumed in the transaction of the change it authorizes: `used_at` is set by a
//! conditional update, so of two concurrent uses exactly one succeeds, and if the change is
//! refused (a weak password) the transaction rolls back and the link still works. Unknown,
//! used and expired tokens get the same answer, 400 `invalid_link`.

use baseops_config::Settings;
use baseops_core::ApiError;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::model::one_time_token;
use crate::secret::{digest, random_token};

/// Longest token accepted from a client; longer ones are refused before hashing.
pub const MAX_TOKEN_LEN: usize = 100;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Sets a new password for `user_id`.
    PasswordReset,
    /// Proves `user_id` receives mail at `email`.
    EmailVerification,
    /// Makes whoever holds `email` a member of `organization_id` with the role `role_key`.
    Invitation,
}

impl Purpose {
    /// As stored: `password_reset`, `email_verification`, `invitation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
            Self::Invitation => "invitation",
        }
    }
}

/// A token to create.
#[derive(Debug, Clone)]
pub(crate) struct NewToken<'a> {
    pub purpose: Purpose,
    pub user_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub email: &'a str,
    pub role_key: Option<&'a str>,
    pub created_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

/// A token just created: the secret (for the link, never stored) and its row.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token, shown once in the message.
    pub token: String,
    /// The stored row.
    pub row: one_time_token::Model,
}

/// Creates a token.
pub(crate) async fn issue(
    txn: &impl ConnectionTrait,
    new: NewToken<'_>,
    now: DateTime<Utc>,
) -> Result<IssuedToken, DbErr> {
    let token = random_token();
    let row = one_time_token::Model {
        id: Uuid::now_v7(),
        purpose: new.purpose.as_str().to_owned(),
        token_hash: digest(&token),
        user_id: new.user_id,
        organization_id: new.organization_id,
        email: new.email.to_owned(),
        role_key: new.role_key.map(str::to_owned),
        created_by: new.created_by,
        expires_at: new.expires_at,
        used_at: None,
        created_at: now,
    };
    one_time_token::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    Ok(IssuedToken { token, row })
}

/// The same answer for an unknown, used or expired token.
pub fn invalid_link() -> ApiError {
    ApiError::BadRequest {
        code: "invalid_link",
        detail: "The link is invalid, expired or already used; ask for a new one.".into(),
    }
}

/// Finds the live token of this purpose and marks it used.
///
/// # Errors
/// 400 `invalid_link`; database errors.
pub(crate) async fn consume(
    txn: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> Result<one_time_token::Model, ApiError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(invalid_link());
    }
    let found = one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(digest(token)))
        .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::ExpiresAt.gt(now))
        .one(txn)
        .await?
        .ok_or_else(invalid_link)?;
    // Conditional, so a concurrent use that got here first wins and this one finds nothing.
    let marked = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::Id.eq(found.id))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    if marked.rows_affected != 1 {
        return Err(invalid_link());
    }
    Ok(one_time_token::Model { used_at: Some(now), ..found })
}

/// Ends a user's other live tokens of this purpose (after one of them was used).
pub(crate) async fn end_others(
    txn: &impl ConnectionTrait,
    purpose: Purpose,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let ended = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    Ok(ended.rows_affected)
}

/// How many live tokens of this purpose a user was sent in the last hour.
pub(crate) async fn live_in_last_hour(
    txn: &impl ConnectionTrait,
    purpose: Purpose,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    one_time_token::Entity::find()
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::ExpiresAt.gt(now))
        .filter(one_time_token::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(txn)
        .await
}

/// `{server.public_url}{path}?token={token}`: the link a message carries (a path under a
/// public URL that has one, e.g. `https://example.com/ops/reset-password`).
pub(crate) fn link(settings: &Settings, path: &str, token: &str) -> String {
    let mut url = settings.server.public_url.clone();
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base}{path}"));
    url.set_query(Some(&format!("token={token}")));
    url.to_string()
}

/// `now` plus so many minutes, saturating on absurd settings.
pub(crate) fn minutes_after(now: DateTime<Utc>, minutes: u64) -> DateTime<Utc> {
    let minutes = i64::try_from(minutes).unwrap_or(i64::MAX).min(i64::MAX / 60_000);
    now.checked_add_signed(Duration::minutes(minutes)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `now` plus so many days, saturating on absurd settings.
pub(crate) fn days_after(now: DateTime<Utc>, days: u64) -> DateTime<Utc> {
    minutes_after(now, days.saturating_mul(24 * 60))
}
