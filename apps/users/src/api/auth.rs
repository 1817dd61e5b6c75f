//! `POST /auth/login`, `/auth/token`, `/auth/logout`, `/auth/logout-all`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baseops_core::{Acting, Actor, ApiError, AppState, Json, Origin, Problem, RequestContext};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::UserOut;
use super::tokens::CreatedTokenOut;
use crate::authenticator::cookie;
use crate::password::PasswordHashing;
use crate::service::session::{self, Credentials};
use crate::service::token::{NewToken, held_permissions, token_create_and_notify};
use crate::service::two_factor::SecondFactor;
use crate::session_store::SessionStore;

/// Login input.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
    /// The authenticator app's current code, for users with two-factor login.
    pub totp_code: Option<String>,
    /// A recovery code instead of `totp_code` (each works once).
    pub recovery_code: Option<String>,
}

/// A successful login: the session cookie is set; send `csrf_token` as `X-CSRF-Token` on
/// unsafe requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOut {
    /// Who logged in.
    pub user: UserOut,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// When the session ends at the latest.
    pub expires_at: DateTime<Utc>,
}

pub(crate) fn session_cookie(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let session = &state.settings().session;
    let secure = if session.cookie_secure { "; Secure" } else { "" };
    let cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}",
        session.cookie_name
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Checks the credentials and opens a session, ending the one the browser sent (a login always
/// rotates the session id): what the API's and the console's sign-in both do.
pub(crate) async fn sign_in(
    state: &AppState,
    origin: &Origin,
    headers: &HeaderMap,
    email: &str,
    password: &str,
    second_factor: SecondFactor<'_>,
) -> Result<session::OpenedSession, ApiError> {
    let hashing = PasswordHashing::new(&state.settings().auth).map_err(ApiError::internal)?;
    let existing = existing_cookie(state, headers);
    session::session_login(
        state.db(),
        &SessionStore::of(state),
        state.settings(),
        &hashing,
        origin,
        Credentials { email, password, second_factor },
        existing.as_deref(),
    )
    .await
}

/// Logs in with e-mail and password and starts a session (cookie).
#[utoipa::path(post, path = "/auth/login", security(()), operation_id = "auth_login", tag = "auth", request_body = LoginInput,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = LoginOut),
        (status = 401, description = "Wrong e-mail or password (invalid_credentials), second factor missing (two_factor_required) or wrong (invalid_second_factor)", body = Problem),
        (status = 422, description = "Malformed input", body = Problem),
        (status = 429, description = "Too many failures; see Retry-After", body = Problem),
    ))]
pub(super) async fn login(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    Json(input): Json<LoginInput>,
) -> Result<Response, ApiError> {
    let second_factor =
        SecondFactor { totp_code: input.totp_code.as_deref(), recovery_code: input.recovery_code.as_deref() };
    let opened = sign_in(&state, &origin, &headers, &input.email, &input.password, second_factor).await?;
    let max_age = (opened.session.expires_at - Utc::now()).num_seconds();
    let body = LoginOut {
        user: opened.user.into(),
        csrf_token: opened.session.csrf_token.clone(),
        expires_at: opened.session.expires_at,
    };
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, &opened.token, max_age));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A token asked for with a password: what a script sends instead of logging in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenGrantInput {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
    /// The authenticator app's current code, for users with two-factor login.
    pub totp_code: Option<String>,
    /// A recovery code instead of `totp_code` (each works once).
    pub recovery_code: Option<String>,
    /// The organization the token works in.
    pub organization_id: Uuid,
    /// A name to recognise the token by.
    pub name: String,
    /// The permissions it may use: some of those you hold in the organization.
    pub scopes: Vec<String>,
    /// When it stops working; never when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Creates an API token with e-mail and password (and the second factor when it is on), for
/// scripts without a browser: the same checks and the same throttle as login.
#[utoipa::path(post, path = "/auth/token", security(()), operation_id = "auth_token", tag = "auth", request_body = TokenGrantInput,
    responses(
        (status = 201, description = "Created; the secret is in `token`, shown once", body = CreatedTokenOut),
        (status = 401, description = "Wrong e-mail or password (invalid_credentials), second factor missing (two_factor_required) or wrong (invalid_second_factor)", body = Problem),
        (status = 403, description = "Not a member of that organization (not_a_member)", body = Problem),
        (status = 409, description = "Too many live tokens (too_many_tokens)", body = Problem),
        (status = 422, description = "Invalid fields, or scopes you do not hold", body = Problem),
        (status = 429, description = "Too many failures; see Retry-After", body = Problem),
    ))]
pub(super) async fn token(
    State(state): State<AppState>,
    origin: Origin,
    Json(input): Json<TokenGrantInput>,
) -> Result<Response, ApiError> {
    let hashing = PasswordHashing::new(&state.settings().auth).map_err(ApiError::internal)?;
    let credentials = Credentials {
        email: &input.email,
        password: &input.password,
        second_factor: SecondFactor {
            totp_code: input.totp_code.as_deref(),
            recovery_code: input.recovery_code.as_deref(),
        },
    };
    let (user, txn) =
        session::credentials_verify(state.db(), state.settings(), &hashing, &origin, credentials).await?;
    let held = held_permissions(&txn, &user, input.organization_id, state.permissions()).await?;
    let new = NewToken { name: &input.name, scopes: &input.scopes, expires_at: input.expires_at }
        .check(&held, Utc::now())
        .map_err(ApiError::Validation)?;
    let actor = Actor::User { user_id: user.id };
    let acting = Acting { actor: &actor, origin: &origin };
    let created =
        token_create_and_notify(&txn, acting, user.id, input.organization_id, new, state.settings()).await?;
    txn.commit().await?;
    let body = CreatedTokenOut { token: created.token, details: created.row.into() };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub(crate) fn existing_cookie(state: &AppState, headers: &HeaderMap) -> Option<String> {
    cookie(headers, &state.settings().session.cookie_name).map(str::to_owned)
}

async fn end_session(
    state: &AppState,
    ctx: &RequestContext,
    headers: &HeaderMap,
    everywhere: bool,
) -> Result<Response, ApiError> {
    let token = existing_cookie(state, headers);
    let sessions = SessionStore::of(state);
    let found = match token {
        Some(token) => sessions.find_live(state.db().write(), state.settings(), &token, Utc::now()).await?,
        None => None,
    };
    match found {
        Some(found) if found.user_id == ctx.user_id() => {
            session::session_logout(state.db(), &sessions, &ctx.origin, &found, everywhere).await?;
        }
        // A token user has no session to end.
        _ => {
            return Err(ApiError::BadRequest {
                code: "no_session",
                detail: "Log out ends a browser session; revoke API tokens instead.".into(),
            });
        }
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(state, "", 0));
    Ok(response)
}

/// Ends this session.
#[utoipa::path(post, path = "/auth/logout", operation_id = "auth_logout", tag = "auth", security(("session" = [])),
    responses(
        (status = 204, description = "Logged out; the cookie is cleared"),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Missing or wrong X-CSRF-Token (code csrf_failed)", body = Problem),
    ))]
pub(super) async fn logout(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    end_session(&state, &ctx, &headers, false).await
}

/// Ends every session of the current user, on every device.
#[utoipa::path(post, path = "/auth/logout-all", operation_id = "auth_logout_everywhere", tag = "auth", security(("session" = [])),
    responses(
        (status = 204, description = "Every session ended; the cookie is cleared"),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Missing or wrong X-CSRF-Token (code csrf_failed)", body = Problem),
    ))]
pub(super) async fn logout_everywhere(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    end_session(&state, &ctx, &headers, true).await
}
