//! `POST /me/two-factor/setup`, `/enable`, `/disable`: enrolment in two-factor login.
//! Session only: a token cannot change how its owner logs in.

use axum::extract::State;
use axum::http::StatusCode;
use baseops_core::{Actor, ApiError, AppState, Json, Problem, RequestContext};
use chrono::Utc;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::user;
use crate::password::PasswordHashing;
use crate::selector::user_get;
use crate::service::two_factor::{Enrolment, two_factor_disable, two_factor_enable, two_factor_start};

async fn session_user(
    ctx: &RequestContext,
    db: &impl sea_orm::ConnectionTrait,
) -> Result<user::Model, ApiError> {
    if !matches!(ctx.actor(), Actor::User { .. }) {
        return Err(ApiError::Forbidden);
    }
    user_get(db, ctx.user_id()).await?.ok_or(ApiError::Unauthenticated)
}

/// Starts enrolment: a new secret, as text, URL and QR code. Nothing changes at login until
/// it is confirmed with `/enable`.
#[utoipa::path(post, path = "/me/two-factor/setup", operation_id = "two_factor_setup", tag = "me", security(("session" = [])),
    responses(
        (status = 200, description = "Scan the QR code or type the secret, then confirm with a code", body = Enrolment),
        (status = 403, description = "Session only", body = Problem),
        (status = 409, description = "Already on (two_factor_enabled)", body = Problem),
    ))]
pub(super) async fn setup(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Enrolment>, ApiError> {
    let txn = state.db().write().begin().await?;
    let found = session_user(&ctx, &txn).await?;
    let enrolment = two_factor_start(&txn, found).await?;
    txn.commit().await?;
    Ok(Json(enrolment))
}

/// A code from the authenticator app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    /// The 6-digit code.
    pub code: String,
}

/// Recovery codes, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesOut {
    /// Each works once instead of an authenticator code. Store them safely.
    pub recovery_codes: Vec<String>,
}

/// Confirms enrolment with the app's current code; from now on login needs a code.
#[utoipa::path(post, path = "/me/two-factor/enable", operation_id = "two_factor_enable", tag = "me", request_body = CodeInput, security(("session" = [])),
    responses(
        (status = 200, description = "On; the recovery codes are shown this once", body = RecoveryCodesOut),
        (status = 403, description = "Session only", body = Problem),
        (status = 409, description = "Not set up (two_factor_not_started) or already on", body = Problem),
        (status = 422, description = "Wrong code", body = Problem),
    ))]
pub(super) async fn enable(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<CodeInput>,
) -> Result<Json<RecoveryCodesOut>, ApiError> {
    let txn = state.db().write().begin().await?;
    let found = session_user(&ctx, &txn).await?;
    let recovery_codes = two_factor_enable(&txn, ctx.acting(), found, &input.code, Utc::now()).await?;
    txn.commit().await?;
    Ok(Json(RecoveryCodesOut { recovery_codes }))
}

/// The current password, to confirm a sensitive change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    /// The current password.
    pub password: String,
}

/// Turns two-factor login off (needs the password).
#[utoipa::path(post, path = "/me/two-factor/disable", operation_id = "two_factor_disable", tag = "me", request_body = PasswordInput, security(("session" = [])),
    responses(
        (status = 204, description = "Off; recovery codes deleted"),
        (status = 403, description = "Session only, or wrong password (wrong_password)", body = Problem),
    ))]
pub(super) async fn disable(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<PasswordInput>,
) -> Result<StatusCode, ApiError> {
    let hashing = PasswordHashing::new(&state.settings().auth).map_err(ApiError::internal)?;
    let txn = state.db().write().begin().await?;
    let found = session_user(&ctx, &txn).await?;
    let matches = match found.password_hash.as_deref() {
        Some(hash) => hashing.verify(&input.password, hash).await,
        None => false,
    };
    if !matches {
        return Err(ApiError::Refused { code: "wrong_password", detail: "The password is wrong.".into() });
    }
    two_factor_disable(&txn, ctx.acting(), found).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
