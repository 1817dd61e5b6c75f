//! Mailed links: `POST /auth/password-reset` and `/auth/password-reset/confirm`,
//! `POST /me/verify-email` and `/auth/verify-email/confirm`.
//!
//! Each request enqueues its message in its transaction; the worker sends it after commit,
//! retrying while the mail server is away. The answer never waits on the mail server.

use axum::extract::State;
use axum::http::StatusCode;
use baseops_core::{Acting, Actor, ApiError, AppState, Json, Origin, Problem, RequestContext};
use chrono::Utc;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::password::PasswordHashing;
use crate::service::recovery::{self, PasswordResetRequest};
use crate::session_store::SessionStore;

/// A request for a link: the same answer whatever happened.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkRequested {
    /// What to expect.
    pub detail: &'static str,
}

/// Asks for a password-reset link by e-mail. The answer is the same whether or not the
/// address has an account; at most 3 live links an hour are sent to one account.
#[utoipa::path(post, path = "/auth/password-reset", security(()), operation_id = "recovery_request_password_reset", tag = "auth", request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the address has an account, a link is on its way", body = LinkRequested),
        (status = 422, description = "Not an e-mail address", body = Problem),
    ))]
pub(super) async fn password_reset_request(
    State(state): State<AppState>,
    origin: Origin,
    Json(input): Json<PasswordResetRequest>,
) -> Result<(StatusCode, Json<LinkRequested>), ApiError> {
    let acting = Acting { actor: &Actor::Anonymous, origin: &origin };
    let email = input.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    recovery::password_reset_request(&txn, acting, &email, state.settings(), Utc::now()).await?;
    txn.commit().await?;
    let detail = "If an account has this address, a link to reset its password is on its way.";
    Ok((StatusCode::ACCEPTED, Json(LinkRequested { detail })))
}

/// Password-reset input.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token from the link.
    pub token: String,
    /// The new password.
    pub new_password: String,
}

/// Sets a new password with a reset link's token; every session of the account ends.
#[utoipa::path(post, path = "/auth/password-reset/confirm", security(()), operation_id = "recovery_confirm_password_reset", tag = "auth", request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password set; every session ended"),
        (status = 400, description = "Unknown, used or expired link (invalid_link)", body = Problem),
        (status = 422, description = "The new password is too weak; the link still works", body = Problem),
    ))]
pub(super) async fn confirm_password_reset(
    State(state): State<AppState>,
    origin: Origin,
    Json(input): Json<PasswordResetConfirm>,
) -> Result<StatusCode, ApiError> {
    let settings = state.settings();
    let hashing = PasswordHashing::new(&settings.auth).map_err(ApiError::internal)?;
    let acting = Acting { actor: &Actor::Anonymous, origin: &origin };
    let txn = state.db().write().begin().await?;
    let sessions = SessionStore::of(&state);
    let reset = recovery::PasswordReset { token: &input.token, new_password: &input.new_password };
    recovery::password_reset(&txn, acting, reset, &sessions, &hashing, settings, Utc::now()).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a link that verifies the current user's e-mail address (at most 3 live links an
/// hour).
#[utoipa::path(post, path = "/me/verify-email", operation_id = "recovery_request_email_verification", tag = "me", responses(
        (status = 202, description = "A link is on its way", body = LinkRequested),
        (status = 409, description = "The address is already verified (already_verified)", body = Problem),
    ))]
pub(super) async fn email_verification_request(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<(StatusCode, Json<LinkRequested>), ApiError> {
    let txn = state.db().write().begin().await?;
    recovery::email_verification_request(&txn, ctx.acting(), ctx.user_id(), state.settings(), Utc::now())
        .await?;
    txn.commit().await?;
    let detail = "A link to verify your e-mail address is on its way.";
    Ok((StatusCode::ACCEPTED, Json(LinkRequested { detail })))
}

/// E-mail verification input.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailVerificationConfirm {
    /// The token from the link.
    pub token: String,
}

/// Marks an address verified with a verification link's token.
#[utoipa::path(post, path = "/auth/verify-email/confirm", security(()), operation_id = "recovery_confirm_email_verification", tag = "auth", request_body = EmailVerificationConfirm,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 400, description = "Unknown, used or expired link (invalid_link)", body = Problem),
    ))]
pub(super) async fn confirm_email_verification(
    State(state): State<AppState>,
    origin: Origin,
    Json(input): Json<EmailVerificationConfirm>,
) -> Result<StatusCode, ApiError> {
    let acting = Acting { actor: &Actor::Anonymous, origin: &origin };
    let txn = state.db().write().begin().await?;
    recovery::email_verify(&txn, acting, &input.token, Utc::now()).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
