//! The users app in the console: sign-in (with a second factor), sign-out and the
//! organization switcher — the same services as `POST /auth/login` and `/auth/logout` —
//! and the people pages: your account, the members, the invitations and the organization's
//! settings.

mod account;
mod form;
mod invitations;
mod members;
mod recovery;
mod security;
mod settings;
mod tokens;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baseops_app::{ConsolePage, ConsoleSection};
use baseops_console::{
    Console, ConsoleError, ConsoleRef, ORGANIZATION_COOKIE, Signed, context, is_local_page,
};
use baseops_core::{ApiError, AppState, Origin};
use chrono::Utc;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;

use crate::api::auth::{existing_cookie, session_cookie, sign_in};
use crate::permission::{MEMBERS_INVITE, MEMBERS_VIEW, ORGANIZATIONS_EDIT};
use crate::service::session;
use crate::service::two_factor::SecondFactor;
use crate::session_store::SessionStore;

/// What the users app adds to the console.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[
        ConsolePage { path: "members", title: "Members", permission: Some(MEMBERS_VIEW) },
        ConsolePage { path: "invitations", title: "Invitations", permission: Some(MEMBERS_INVITE) },
        ConsolePage { path: "settings", title: "Organization", permission: Some(ORGANIZATIONS_EDIT) },
    ],
    routes,
    templates: &[
        ("users/login.html", include_str!("../../templates/users/login.html")),
        ("users/account.html", include_str!("../../templates/users/account.html")),
        ("users/members.html", include_str!("../../templates/users/members.html")),
        ("users/invitations.html", include_str!("../../templates/users/invitations.html")),
        ("users/forgot_password.html", include_str!("../../templates/users/forgot_password.html")),
        ("users/reset_password.html", include_str!("../../templates/users/reset_password.html")),
        ("users/verify_email.html", include_str!("../../templates/users/verify_email.html")),
        ("users/accept_invitation.html", include_str!("../../templates/users/accept_invitation.html")),
        ("users/link_done.html", include_str!("../../templates/users/link_done.html")),
        ("users/settings.html", include_str!("../../templates/users/settings.html")),
    ],
    search: None,
    work: None,
};

fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/organization", post(switch_organization))
        .merge(account::routes())
        .merge(security::routes())
        .merge(tokens::routes())
        .merge(members::routes())
        .merge(invitations::routes())
        .merge(settings::routes())
        .merge(recovery::routes())
}

/// Where to go after signing in.
#[derive(Debug, Default, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn next_page(next: Option<&str>) -> String {
    next.filter(|next| is_local_page(next)).unwrap_or("/admin").to_owned()
}

/// The sign-in form, as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    email: String,
    password: String,
    code: String,
    next: String,
}

/// How the form looks after a failure: the e-mail kept, the message, and whether the code
/// field is what is asked for now.
fn login_form(console: &Console, form: &LoginForm, error: Option<&str>, status: StatusCode) -> Response {
    let wants_code = !form.code.is_empty() || error.is_some_and(|text| text.contains("code"));
    let mut response = console.bare(
        "users/login.html",
        context! {
            title => "Sign in",
            email => form.email.as_str(),
            next => next_page(Some(&form.next)),
            error => error,
            wants_code => wants_code,
        },
        status,
    );
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn login_page(axum::Extension(console): ConsoleRef, Query(query): Query<NextQuery>) -> Response {
    let form = LoginForm { next: next_page(query.next.as_deref()), ..LoginForm::default() };
    login_form(&console, &form, None, StatusCode::OK)
}

/// A six-digit code is the authenticator app's; anything else is a recovery code.
fn second_factor(code: &str) -> SecondFactor<'_> {
    let code = code.trim();
    if code.is_empty() {
        SecondFactor { totp_code: None, recovery_code: None }
    } else if code.len() == 6 && code.bytes().all(|byte| byte.is_ascii_digit()) {
        SecondFactor { totp_code: Some(code), recovery_code: None }
    } else {
        SecondFactor { totp_code: None, recovery_code: Some(code) }
    }
}

async fn login(
    State(state): State<AppState>,
    axum::Extension(console): ConsoleRef,
    origin: Origin,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ConsoleError> {
    let opened =
        sign_in(&state, &origin, &headers, &form.email, &form.password, second_factor(&form.code)).await;
    let opened = match opened {
        Ok(opened) => opened,
        Err(ApiError::NotAuthenticated { code, .. }) => {
            let message = match code {
                "two_factor_required" => "Enter the code from your authenticator app, or a recovery code.",
                "invalid_second_factor" => {
                    "That code is not right. Try the current code, or a recovery code."
                }
                _ => "Wrong e-mail address or password.",
            };
            return Ok(login_form(&console, &form, Some(message), StatusCode::UNAUTHORIZED));
        }
        Err(ApiError::Validation(_) | ApiError::BadRequest { .. }) => {
            let message = "Enter your e-mail address and password.";
            return Ok(login_form(&console, &form, Some(message), StatusCode::UNPROCESSABLE_ENTITY));
        }
        Err(ApiError::RateLimited { retry_after_secs }) => {
            let message = format!("Too many failed attempts. Try again in {retry_after_secs} seconds.");
            let mut response = login_form(&console, &form, Some(&message), StatusCode::TOO_MANY_REQUESTS);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return Ok(response);
        }
        Err(error) => return Err(error.into()),
    };
    let max_age = (opened.session.expires_at - Utc::now()).num_seconds();
    let mut response = Redirect::to(&next_page(Some(&form.next))).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, &opened.token, max_age));
    Ok(response)
}

async fn logout(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    let sessions = SessionStore::of(&state);
    let token = existing_cookie(&state, &headers).ok_or(ApiError::Unauthenticated)?;
    if let Some(found) = sessions.find_live(state.db().write(), state.settings(), &token, Utc::now()).await?
        && found.user_id == signed.ctx.user_id()
    {
        session::session_logout(state.db(), &sessions, &signed.ctx.origin, &found, false).await?;
    }
    let mut response = Redirect::to("/admin/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, session_cookie(&state, "", 0));
    response.headers_mut().append(header::SET_COOKIE, organization_cookie(&state, None));
    Ok(response)
}

/// The switcher's choice.
#[derive(Debug, Deserialize)]
struct SwitchForm {
    organization: uuid::Uuid,
    #[serde(default)]
    next: String,
}

fn organization_cookie(state: &AppState, id: Option<uuid::Uuid>) -> HeaderValue {
    let secure = if state.settings().session.cookie_secure { "; Secure" } else { "" };
    let (value, age) = id.map_or((String::new(), 0), |id| (id.to_string(), 31_536_000));
    let cookie =
        format!("{ORGANIZATION_COOKIE}={value}; Path=/admin; HttpOnly; SameSite=Lax; Max-Age={age}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn switch_organization(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<SwitchForm>,
) -> Result<Response, ConsoleError> {
    let member = signed.viewer.organizations.iter().any(|org| org.id == form.organization);
    if !member && !signed.viewer.is_superuser {
        return Err(ApiError::NotFound.into());
    }
    let mut response = Redirect::to(&next_page(Some(&form.next))).into_response();
    response.headers_mut().insert(header::SET_COOKIE, organization_cookie(&state, Some(form.organization)));
    Ok(response)
}
