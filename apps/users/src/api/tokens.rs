//! `GET/POST /tokens`, `DELETE /tokens/{id}`: the current user's API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, Json, Problem, RequestContext};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::api_token;
use crate::selector::token_list;
use crate::service::token::{NewToken, scopes_of, token_create_and_notify, token_revoke};

/// A token as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    /// The organization it works in.
    pub organization_id: Option<Uuid>,
    /// The permissions it is limited to.
    pub scopes: Vec<String>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last use (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<api_token::Model> for TokenOut {
    fn from(row: api_token::Model) -> Self {
        Self {
            scopes: scopes_of(&row),
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            organization_id: row.organization_id,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
            created_at: row.created_at,
        }
    }
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenIn {
    /// A name to recognise it by.
    pub name: String,
    /// Permissions it may use: a subset of yours in the active organization.
    pub scopes: Vec<String>,
    /// When it stops working; never when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token just created: `token` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenOut {
    /// The secret: send it as `Authorization: Bearer <token>`. It is not shown again.
    pub token: String,
    /// The stored token.
    #[serde(flatten)]
    pub details: TokenOut,
}

/// The current user's tokens, newest first. Session only: a token does not see its siblings.
#[utoipa::path(get, path = "/tokens", operation_id = "tokens_list", tag = "tokens", security(("session" = [])), responses(
        (status = 200, description = "Tokens, without their secrets", body = [TokenOut]),
        (status = 403, description = "Not a session (session_required)", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    ctx.require_session()?;
    let tokens = token_list(state.db().read(), ctx.user_id()).await?;
    Ok(Json(tokens.into_iter().map(Into::into).collect()))
}

/// Creates a token for the active organization, limited to the given permissions.
#[utoipa::path(post, path = "/tokens", operation_id = "tokens_create", tag = "tokens", request_body = NewTokenIn, security(("session" = [])),
    responses(
        (status = 201, description = "Created; the secret is in `token`, shown once", body = CreatedTokenOut),
        (status = 400, description = "No active organization (code organization_required)", body = Problem),
        (status = 403, description = "Tokens cannot create tokens (session_required)", body = Problem),
        (status = 409, description = "Too many live tokens (code too_many_tokens)", body = Problem),
        (status = 422, description = "Invalid fields or scopes you do not hold", body = Problem),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<NewTokenIn>,
) -> Result<(StatusCode, Json<CreatedTokenOut>), ApiError> {
    ctx.require_session()?;
    let organization_id = ctx.organization_id()?;
    let held = if ctx.principal.is_superuser {
        state
            .permissions()
            .permissions()
            .iter()
            .map(|p| (p.name.to_owned(), baseops_core::Scope::All))
            .collect()
    } else {
        (*ctx.principal.grants).clone()
    };
    let new = NewToken { name: &input.name, scopes: &input.scopes, expires_at: input.expires_at }
        .check(&held, Utc::now())
        .map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let created =
        token_create_and_notify(&txn, ctx.acting(), ctx.user_id(), organization_id, new, state.settings())
            .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedTokenOut { token: created.token, details: created.row.into() })))
}

/// Revokes one of the current user's tokens. Session only.
#[utoipa::path(delete, path = "/tokens/{id}", operation_id = "tokens_revoke", tag = "tokens", params(("id" = Uuid, Path, description = "Token id")), security(("session" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Not a session (session_required)", body = Problem),
        (status = 404, description = "No such token of yours", body = Problem),
    ))]
pub(super) async fn revoke(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    ctx.require_session()?;
    let txn = state.db().write().begin().await?;
    token_revoke(&txn, ctx.acting(), ctx.user_id(), id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
