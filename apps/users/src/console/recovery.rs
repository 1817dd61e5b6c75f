//! The console pages e-mailed links open — reset a password, verify an address, accept an
//! invitation — and the "forgot password" form. The same services as the API's
//! `/auth/password-reset`, `/auth/verify-email/confirm` and `/invitations/accept`. A link
//! only shows a form: the token is spent by the POST, never by a GET a mail scanner makes.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use baseops_console::form::field_errors;
use baseops_console::{ConsoleError, ConsoleRef, Signed, context};
use baseops_core::{Acting, Actor, ApiError, AppState, Origin};
use chrono::Utc;
use http::StatusCode;
use sea_orm::TransactionTrait;
use serde::Deserialize;

use crate::password::PasswordHashing;
use crate::service::invitation::{Acceptance, invitation_accept};
use crate::service::recovery::{self, PasswordResetRequest};
use crate::session_store::SessionStore;

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/forgot-password", get(forgot_page).post(forgot))
        .route("/admin/reset-password", get(reset_page).post(reset))
        .route("/admin/verify-email", get(verify_page).post(verify))
        .route("/admin/accept-invitation", get(accept_page).post(accept))
}

/// A link's token, from its URL or the form it opened.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TokenQuery {
    token: String,
}

/// Longest token a link carries (they are 43 characters).
const MAX_TOKEN_CHARS: usize = 100;

fn token_of(text: &str) -> Result<&str, ConsoleError> {
    let token = text.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(crate::service::onetime::invalid_link().into());
    }
    Ok(token)
}

fn anonymous(origin: &Origin) -> Acting<'_> {
    Acting { actor: &Actor::Anonymous, origin }
}

/// A page saying a link did its work, with where to go next.
fn done(console: &ConsoleRef, title: &str, message: &str) -> Response {
    console.bare("users/link_done.html", context! { title => title, message => message }, StatusCode::OK)
}

async fn forgot_page(console: ConsoleRef) -> Response {
    console.bare("users/forgot_password.html", context! { title => "Forgot your password?" }, StatusCode::OK)
}

/// The "forgot password" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ForgotForm {
    email: String,
}

async fn forgot(
    State(state): State<AppState>,
    console: ConsoleRef,
    origin: Origin,
    Form(form): Form<ForgotForm>,
) -> Result<Response, ConsoleError> {
    let email = match (PasswordResetRequest { email: form.email.clone() }).check() {
        Ok(email) => email,
        Err(errors) => {
            let context = context! {
                title => "Forgot your password?", email => form.email, errors => field_errors(&ApiError::Validation(errors)),
            };
            return Ok(console.bare("users/forgot_password.html", context, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let txn = state.db().write().begin().await.map_err(ApiError::from)?;
    recovery::password_reset_request(&txn, anonymous(&origin), &email, state.settings(), Utc::now()).await?;
    txn.commit().await.map_err(ApiError::from)?;
    // The same answer whether or not the address has an account.
    Ok(done(
        &console,
        "Check your mail",
        "If an account has this address, a link to reset its password is on its way.",
    ))
}

async fn reset_page(console: ConsoleRef, Query(query): Query<TokenQuery>) -> Result<Response, ConsoleError> {
    let token = token_of(&query.token)?;
    Ok(console.bare(
        "users/reset_password.html",
        context! { title => "Choose a new password", token => token },
        StatusCode::OK,
    ))
}

/// The new password, with the link's token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResetForm {
    token: String,
    new_password: String,
}

async fn reset(
    State(state): State<AppState>,
    console: ConsoleRef,
    origin: Origin,
    Form(form): Form<ResetForm>,
) -> Result<Response, ConsoleError> {
    let token = token_of(&form.token)?;
    let settings = state.settings();
    let hashing = PasswordHashing::new(&settings.auth).map_err(ApiError::internal)?;
    let txn = state.db().write().begin().await.map_err(ApiError::from)?;
    let reset = recovery::PasswordReset { token, new_password: &form.new_password };
    let sessions = SessionStore::of(&state);
    match recovery::password_reset(&txn, anonymous(&origin), reset, &sessions, &hashing, settings, Utc::now())
        .await
    {
        Ok(_) => txn.commit().await.map_err(ApiError::from)?,
        Err(error @ ApiError::Validation(_)) => {
            // A weak password: the link still works, the form says why.
            let context =
                context! { title => "Choose a new password", token => token, errors => field_errors(&error) };
            return Ok(console.bare("users/reset_password.html", context, StatusCode::UNPROCESSABLE_ENTITY));
        }
        Err(error) => return Err(error.into()),
    }
    Ok(done(
        &console,
        "Your password is set",
        "Every session of your account has ended. Sign in with the new password.",
    ))
}

async fn verify_page(console: ConsoleRef, Query(query): Query<TokenQuery>) -> Result<Response, ConsoleError> {
    let token = token_of(&query.token)?;
    Ok(console.bare(
        "users/verify_email.html",
        context! { title => "Verify your e-mail address", token => token },
        StatusCode::OK,
    ))
}

async fn verify(
    State(state): State<AppState>,
    console: ConsoleRef,
    origin: Origin,
    Form(form): Form<TokenQuery>,
) -> Result<Response, ConsoleError> {
    let token = token_of(&form.token)?;
    let txn = state.db().write().begin().await.map_err(ApiError::from)?;
    recovery::email_verify(&txn, anonymous(&origin), token, Utc::now()).await?;
    txn.commit().await.map_err(ApiError::from)?;
    Ok(done(&console, "Your address is verified", "Thank you. You can close this page or sign in."))
}

async fn accept_page(
    console: ConsoleRef,
    signed: Option<Signed>,
    Query(query): Query<TokenQuery>,
) -> Result<Response, ConsoleError> {
    let token = token_of(&query.token)?;
    let here = format!("/admin/accept-invitation?token={token}");
    let context = context! {
        title => "Join an organization",
        token => token,
        signed_in_as => signed.as_ref().map(|signed| signed.viewer.email.clone()),
        csrf_token => signed.as_ref().map(|signed| signed.viewer.csrf_token.clone()),
        sign_in => baseops_console::sign_in_url(Some(&here)),
    };
    Ok(console.bare("users/accept_invitation.html", context, StatusCode::OK))
}

/// Accepting: signed in as the invited account, or a new account's name and password.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AcceptForm {
    token: String,
    display_name: String,
    password: String,
}

async fn accept(
    State(state): State<AppState>,
    console: ConsoleRef,
    origin: Origin,
    signed: Option<Signed>,
    Form(form): Form<AcceptForm>,
) -> Result<Response, ConsoleError> {
    let token = token_of(&form.token)?;
    let settings = state.settings();
    let hashing = PasswordHashing::new(&settings.auth).map_err(ApiError::internal)?;
    let anonymous_actor = Actor::Anonymous;
    let acting = match &signed {
        Some(signed) => signed.ctx.acting(),
        None => Acting { actor: &anonymous_actor, origin: &origin },
    };
    let given = |text: &str| (!text.trim().is_empty()).then(|| text.to_owned());
    let (display_name, password) = (given(&form.display_name), given(&form.password));
    let acceptance =
        Acceptance { token, display_name: display_name.as_deref(), password: password.as_deref() };
    let signed_in = signed.as_ref().map(|signed| signed.ctx.user_id());
    let txn = state.db().write().begin().await.map_err(ApiError::from)?;
    match invitation_accept(&txn, acting, signed_in, acceptance, &hashing, settings, Utc::now()).await {
        Ok(_) => txn.commit().await.map_err(ApiError::from)?,
        Err(error @ ApiError::Validation(_)) => {
            let context = context! {
                title => "Join an organization", token => token, display_name => form.display_name,
                errors => field_errors(&error),
                sign_in => baseops_console::sign_in_url(Some(&format!("/admin/accept-invitation?token={token}"))),
            };
            return Ok(console.bare(
                "users/accept_invitation.html",
                context,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(error) => return Err(error.into()),
    }
    let message = if signed.is_some() {
        "You are a member now. Choose the organization in the console's switcher."
    } else {
        "Your account is ready. Sign in with your e-mail address and the password you chose."
    };
    Ok(done(&console, "Welcome aboard", message))
}
