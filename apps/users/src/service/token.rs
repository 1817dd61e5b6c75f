//! Personal API tokens: `bo_` + 43 random characters, shown once, stored as SHA-256.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, Grants};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::model::api_token;
use crate::secret::{digest, random_token};
use crate::validate::clean_name;

/// The prefix every token starts with, so secret scanners can recognise leaked ones.
pub const TOKEN_PREFIX: &str = "bo_";
/// Most scopes one token may carry.
pub const MAX_SCOPES: usize = 200;
/// Most live tokens per user.
pub const MAX_TOKENS_PER_USER: u64 = 50;

/// A token just created: `token` is shown to the user once.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    /// The secret, shown once.
    pub token: String,
    /// The stored row.
    pub row: api_token::Model,
}

/// What a token is for.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    /// A name to recognise it by.
    pub name: &'a str,
    /// Permission names; each must be one the user holds in the organization.
    pub scopes: &'a [String],
    /// When it stops working; `None` for never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Creates a token for `user_id` in `organization_id`, limited to `scopes`, which must be a
/// subset of `held` (the user's effective permissions there).
///
/// # Errors
/// 422 for a bad name, unknown or unheld scopes, a past expiry; 409 `too_many_tokens`.
pub async fn token_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    organization_id: Uuid,
    held: &Grants,
    new: NewToken<'_>,
) -> Result<CreatedToken, ApiError> {
    let mut errors = FieldErrors::new();
    let name = clean_name(new.name, "name", &mut errors);
    if new.scopes.is_empty() {
        errors.add("scopes", "must name at least one permission");
    } else if new.scopes.len() > MAX_SCOPES {
        errors.add("scopes", format!("must name at most {MAX_SCOPES} permissions"));
    }
    for (index, scope) in new.scopes.iter().enumerate().take(MAX_SCOPES) {
        if !held.contains_key(scope) {
            errors.add(format!("scopes[{index}]"), "is not a permission you hold in this organization");
        }
    }
    let now = Utc::now();
    if new.expires_at.is_some_and(|at| at <= now) {
        errors.add("expires_at", "must be in the future");
    }
    errors.into_result()?;
    let live = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .count(txn)
        .await?;
    if live >= MAX_TOKENS_PER_USER {
        return Err(ApiError::Conflict {
            code: "too_many_tokens",
            detail: format!("You have {MAX_TOKENS_PER_USER} live tokens; revoke one first."),
        });
    }

    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let mut scopes = new.scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let row = api_token::Model {
        id: Uuid::now_v7(),
        user_id,
        organization_id: Some(organization_id),
        name,
        prefix: token.chars().take(10).collect(),
        token_hash: digest(&token),
        scopes: serde_json::to_string(&scopes).map_err(ApiError::internal)?,
        expires_at: new.expires_at,
        last_used_at: None,
        revoked_at: None,
        created_at: now,
    };
    api_token::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "token.create", "api_token", row.id).changes(
            Changes::new().set("name", None::<String>, &row.name).set("scopes", None::<()>, &scopes).set(
                "expires_at",
                None::<()>,
                row.expires_at,
            ),
        ),
    )
    .await?;
    Ok(CreatedToken { token, row })
}

/// Revokes one of the user's own tokens; 404 for anyone else's or an unknown id.
///
/// # Errors
/// As above.
pub async fn token_revoke(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    user_id: Uuid,
    token_id: Uuid,
) -> Result<(), ApiError> {
    let found = api_token::Entity::find_by_id(token_id)
        .filter(api_token::Column::UserId.eq(user_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    if found.revoked_at.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .filter(api_token::Column::Id.eq(token_id))
        .exec(txn)
        .await?;
    record(
        txn,
        AuditEntry::new(acting, found.organization_id, "token.revoke", "api_token", token_id)
            .changes(Changes::new().set("revoked_at", None::<()>, now)),
    )
    .await?;
    baseops_roles::epoch::access_changed(txn).await?;
    Ok(())
}

/// Parses a token's stored scopes.
pub fn scopes_of(row: &api_token::Model) -> Vec<String> {
    serde_json::from_str(&row.scopes).unwrap_or_default()
}
