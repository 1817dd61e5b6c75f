//! `POST /me/two-factor/setup`, `/enable`, `/disable`: enrolment in two-factor login.
//! Session only: a token cannot change how its owner logs in.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use baseops_core::{ApiError, AppState, Json, Problem, RequestContext};
use chrono::Utc;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::current_session;
use crate::model::user;
use crate::password::PasswordHashing;
use crate::selector::user_get;
use crate::service::reauth::{Asking, Proof, reauthenticate};
use crate::service::two_factor::{
    Enrolment, SecondFactor, two_factor_disable, two_factor_enable, two_factor_start,
};
use crate::session_store::SessionStore;

async fn session_user(
    ctx: &RequestContext,
    db: &impl sea_orm::ConnectionTrait,
) -> Result<user::Model, ApiError> {
    ctx.require_session()?;
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
    let enrolment = two_factor_start(&txn, found, state.settings()).await?;
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
    let recovery_codes =
        two_factor_enable(&txn, ctx.acting(), found, &input.code, state.settings(), Utc::now()).await?;
    txn.commit().await?;
    Ok(Json(RecoveryCodesOut { recovery_codes }))
}

/// The current password and a current code, to turn two-factor login off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableInput {
    /// The current password.
    pub password: String,
    /// A current 6-digit code from the authenticator app (or give `recovery_code`).
    pub totp_code: Option<String>,
    /// An unused recovery code, when the authenticator is lost.
    pub recovery_code: Option<String>,
}

/// Turns two-factor login off. Needs the password and a current authenticator code or an
/// unused recovery code: a stolen session alone cannot remove the second factor. Checked
/// under the login throttle; after repeated wrong ones the session ends.
#[utoipa::path(post, path = "/me/two-factor/disable", operation_id = "two_factor_disable", tag = "me", request_body = DisableInput, security(("session" = [])),
    responses(
        (status = 204, description = "Off; recovery codes deleted"),
        (status = 401, description = "Too many wrong attempts: this session has ended (session_ended)", body = Problem),
        (status = 403, description = "Not a session (session_required), wrong password (wrong_password), or no or a wrong code (invalid_second_factor)", body = Problem),
        (status = 429, description = "Too many wrong attempts: wait (Retry-After)", body = Problem),
    ))]
pub(super) async fn disable(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    Json(input): Json<DisableInput>,
) -> Result<StatusCode, ApiError> {
    let current = current_session(&state, &ctx, &headers).await?;
    let settings = state.settings();
    let hashing = PasswordHashing::new(&settings.auth).map_err(ApiError::internal)?;
    let found = user_get(state.db().write(), ctx.user_id()).await?.ok_or(ApiError::Unauthenticated)?;
    let second_factor =
        SecondFactor { totp_code: input.totp_code.as_deref(), recovery_code: input.recovery_code.as_deref() };
    let asking = Asking { user: &found, session: &current, origin: &ctx.origin };
    let proof = Proof { password: &input.password, second_factor: Some(second_factor) };
    let sessions = SessionStore::of(&state);
    let txn = reauthenticate(state.db(), &sessions, settings, &hashing, asking, proof).await?;
    two_factor_disable(&txn, ctx.acting(), found, state.settings()).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
