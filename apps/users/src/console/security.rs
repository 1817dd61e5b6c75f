//! The account page's two-factor login and sessions: the same services and rules as
//! `POST /me/two-factor/{setup,enable,disable}`, `DELETE /me/sessions/{id}` and
//! `POST /auth/logout-all`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use baseops_console::{ConsoleError, Signed};
use baseops_core::{ApiError, AppState};
use chrono::Utc;
use http::{HeaderMap, header};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use uuid::Uuid;

use super::account::{Extra, PAGE, render};
use super::form::{Failure, done};
use crate::api::auth::{existing_cookie, session_cookie};
use crate::api::current_session;
use crate::password::PasswordHashing;
use crate::selector::user_get;
use crate::service::reauth::{Asking, Proof, reauthenticate};
use crate::service::session::{session_logout, session_revoke};
use crate::service::two_factor::{two_factor_disable, two_factor_enable, two_factor_start};
use crate::session_store::SessionStore;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/account/two-factor/setup", post(setup))
        .route("/admin/account/two-factor/enable", post(enable))
        .route("/admin/account/two-factor/disable", post(disable))
        .route("/admin/account/sessions/{id}/revoke", post(revoke_session))
        .route("/admin/account/sessions/end-all", post(end_all))
}

async fn failed(
    state: &AppState,
    signed: &Signed,
    headers: &HeaderMap,
    form: &'static str,
    error: ApiError,
) -> Result<Response, ConsoleError> {
    let failure = Failure::of(form, error)?;
    render(state, signed, headers, Extra { failure: Some(failure), ..Extra::default() }).await
}

/// A new pending secret, shown on the page this once (never in a URL): as a QR code and as
/// text.
async fn setup(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    let started = async {
        signed.ctx.require_session()?;
        let txn = state.db().write().begin().await?;
        let found = user_get(&txn, signed.ctx.user_id()).await?.ok_or(ApiError::Unauthenticated)?;
        let enrolment = two_factor_start(&txn, found, state.settings()).await?;
        txn.commit().await?;
        Ok::<_, ApiError>(enrolment)
    }
    .await;
    match started {
        Ok(enrolment) => {
            render(&state, &signed, &headers, Extra { enrolment: Some(enrolment), ..Extra::default() }).await
        }
        Err(error) => failed(&state, &signed, &headers, "two_factor", error).await,
    }
}

/// A code from the authenticator app.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CodeForm {
    code: String,
}

/// Confirms the pending secret; the recovery codes are in this answer only.
async fn enable(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, ConsoleError> {
    let enabled = async {
        signed.ctx.require_session()?;
        let txn = state.db().write().begin().await?;
        let found = user_get(&txn, signed.ctx.user_id()).await?.ok_or(ApiError::Unauthenticated)?;
        let acting = signed.ctx.acting();
        let codes = two_factor_enable(&txn, acting, found, &form.code, state.settings(), Utc::now()).await?;
        txn.commit().await?;
        Ok::<_, ApiError>(codes)
    }
    .await;
    match enabled {
        Ok(codes) => {
            render(&state, &signed, &headers, Extra { recovery_codes: codes, ..Extra::default() }).await
        }
        Err(error) => failed(&state, &signed, &headers, "two_factor", error).await,
    }
}

/// The password and a second factor, to turn two-factor login off.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DisableForm {
    password: String,
    code: String,
}

/// As the API: the password and a current code (or an unused recovery code), under the
/// login throttle.
async fn disable(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<DisableForm>,
) -> Result<Response, ConsoleError> {
    let disabled = async {
        let ctx = &signed.ctx;
        let current = current_session(&state, ctx, &headers).await?;
        let settings = state.settings();
        let hashing = PasswordHashing::new(&settings.auth).map_err(ApiError::internal)?;
        let found = user_get(state.db().write(), ctx.user_id()).await?.ok_or(ApiError::Unauthenticated)?;
        let second_factor = super::second_factor(&form.code);
        let asking = Asking { user: &found, session: &current, origin: &ctx.origin };
        let proof = Proof { password: &form.password, second_factor: Some(second_factor) };
        let sessions = SessionStore::of(&state);
        let txn = reauthenticate(state.db(), &sessions, settings, &hashing, asking, proof).await?;
        two_factor_disable(&txn, ctx.acting(), found, settings).await?;
        txn.commit().await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match disabled {
        Ok(()) => Ok(done(PAGE, "two-factor-off")),
        Err(error) => failed(&state, &signed, &headers, "two_factor_off", error).await,
    }
}

/// Ends one of the person's sessions (404 for anyone else's).
async fn revoke_session(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    current_session(&state, &signed.ctx, &headers).await?;
    let sessions = SessionStore::of(&state);
    let ctx = &signed.ctx;
    session_revoke(state.db(), &sessions, state.settings(), ctx.acting(), ctx.user_id(), id).await?;
    Ok(done(PAGE, "session"))
}

/// Every session of the person ends, this one too (what `POST /auth/logout-all` does).
async fn end_all(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    let sessions = SessionStore::of(&state);
    let token = existing_cookie(&state, &headers).ok_or(ApiError::Unauthenticated)?;
    let found = sessions.find_live(state.db().write(), state.settings(), &token, Utc::now()).await?;
    match found {
        Some(found) if found.user_id == signed.ctx.user_id() => {
            session_logout(state.db(), &sessions, &signed.ctx.origin, &found, true).await?;
        }
        _ => return Err(ApiError::Unauthenticated.into()),
    }
    let mut response = Redirect::to("/admin/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, session_cookie(&state, "", 0));
    response.headers_mut().append(header::SET_COOKIE, super::organization_cookie(&state, None));
    Ok(response)
}
