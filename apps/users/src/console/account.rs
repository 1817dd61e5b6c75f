//! "Your account": the profile and the password, and the page every account form answers
//! with (two-factor login, sessions and tokens add their parts from their own modules).
//! The same services as `PATCH /me` and `POST /me/password`.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState};
use chrono::Utc;
use http::HeaderMap;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};

use super::form::{DoneQuery, Failure, answer, done, no_store};
use super::tokens::{TokenForm, scope_choices};
use crate::api::current_session;
use crate::api::sessions::session_out;
use crate::api::tokens::TokenOut;
use crate::password::{Password, PasswordHashing};
use crate::selector::{token_list, user_get};
use crate::service::reauth::{Asking, Proof, reauthenticate};
use crate::service::security_mail::PasswordSetBy;
use crate::service::two_factor::Enrolment;
use crate::service::user::{NewPassword, ProfileChange, user_set_password, user_update_profile};
use crate::session_store::SessionStore;

/// Where the account page lives.
pub(crate) const PAGE: &str = "/admin/account";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/admin/account/profile", post(profile))
        .route("/admin/account/password", post(password))
}

/// The fixed messages a redirect to the page may name.
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "profile" => "Your profile is saved.",
        "password" => "Your password is changed. Your other sessions have ended.",
        "two-factor-off" => "Two-factor login is off.",
        "session" => "The session has ended.",
        "token-revoked" => "The token is revoked.",
        _ => return None,
    })
}

/// The profile form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct ProfileForm {
    display_name: String,
    time_zone: String,
    locale: String,
    version: String,
}

/// What one answer of the page adds to what is stored: a failure, the values typed, or a
/// secret shown this once.
#[derive(Default)]
pub(super) struct Extra {
    pub(super) failure: Option<Failure>,
    pub(super) done: Option<&'static str>,
    pub(super) profile: Option<ProfileForm>,
    pub(super) token_form: Option<TokenForm>,
    pub(super) enrolment: Option<Enrolment>,
    pub(super) recovery_codes: Vec<String>,
    pub(super) new_token: Option<String>,
}

/// A QR code as an image URL: the CSP allows `data:` images, never inline markup's styles.
fn svg_data_url(svg: &str) -> String {
    use base64::Engine;
    format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg))
}

/// The account page with what is stored now and `extra`; never cached, since it may show a
/// secret.
pub(super) async fn render(
    state: &AppState,
    signed: &Signed,
    headers: &HeaderMap,
    extra: Extra,
) -> Result<Response, ConsoleError> {
    let current = current_session(state, &signed.ctx, headers).await?;
    let db = state.db().read();
    let user =
        user_get(db, signed.ctx.user_id()).await.map_err(ApiError::from)?.ok_or(ApiError::Unauthenticated)?;
    let sessions = SessionStore::of(state)
        .list_for_user(db, state.settings(), user.id, Utc::now())
        .await?
        .into_iter()
        .map(|row| session_out(row, current.id))
        .collect::<Vec<_>>();
    let tokens: Vec<TokenOut> =
        token_list(db, user.id).await.map_err(ApiError::from)?.into_iter().map(Into::into).collect();
    let two_factor = match (user.totp_enabled_at, user.totp_secret.is_some()) {
        (Some(_), _) => "on",
        (None, true) => "pending",
        (None, false) => "off",
    };
    // What was typed stays, at the version stored now: a form refused as stale (412) can be
    // sent again once its author has seen the message.
    let profile = ProfileForm {
        version: user.version.to_string(),
        ..extra.profile.unwrap_or_else(|| ProfileForm {
            display_name: user.display_name.clone(),
            time_zone: user.time_zone.clone(),
            locale: user.locale.clone(),
            version: String::new(),
        })
    };
    let enrolment = extra.enrolment.map(|enrolment| {
        context! { secret => enrolment.secret, qr => svg_data_url(&enrolment.qr_svg) }
    });
    let organization = signed
        .viewer
        .organizations
        .iter()
        .find(|org| Some(org.id) == signed.viewer.organization_id)
        .map(|org| org.name.clone());
    let page = signed.page(
        "users/account.html",
        vec![Crumb::here("Your account")],
        context! {
            email => user.email.as_str(),
            profile => value(&profile),
            two_factor => two_factor,
            enrolment => enrolment,
            recovery_codes => extra.recovery_codes,
            sessions => value(&sessions),
            tokens => value(&tokens),
            scopes => value(&scope_choices(state, &signed.ctx)),
            token_form => value(&extra.token_form.unwrap_or_default()),
            new_token => extra.new_token,
            organization => organization,
            done => extra.done,
            failure => value(&extra.failure),
        },
    );
    let page = answer(extra.failure.as_ref(), page);
    Ok(no_store(page))
}

async fn page(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    let extra = Extra { done: done_message(&query.done), ..Extra::default() };
    render(&state, &signed, &headers, extra).await
}

/// `PATCH /me` from the profile form; the version it was read at makes a stale form a 412.
async fn profile(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<ProfileForm>,
) -> Result<Response, ConsoleError> {
    let outcome = save_profile(&state, &signed, &form).await;
    match outcome {
        Ok(()) => Ok(done(PAGE, "profile")),
        Err(error) => {
            let failure = Failure::of("profile", error)?;
            let extra = Extra { failure: Some(failure), profile: Some(form), ..Extra::default() };
            render(&state, &signed, &headers, extra).await
        }
    }
}

async fn save_profile(state: &AppState, signed: &Signed, form: &ProfileForm) -> Result<(), ApiError> {
    let ctx = &signed.ctx;
    ctx.require_session()?;
    let change = ProfileChange {
        display_name: Some(form.display_name.clone()),
        time_zone: Some(form.time_zone.trim().to_owned()),
        locale: Some(form.locale.trim().to_owned()),
    };
    let update = change.check().map_err(ApiError::Validation)?;
    let expected = form.version.parse::<i32>().ok();
    let txn = state.db().write().begin().await?;
    user_update_profile(&txn, ctx.acting(), ctx.user_id(), expected, update).await?;
    txn.commit().await?;
    Ok(())
}

/// The password form, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// `POST /me/password` from the form: the current password under the login throttle, the
/// new one judged against the address; the other sessions end.
async fn password(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, ConsoleError> {
    match change_password(&state, &signed, &headers, &form).await {
        Ok(()) => Ok(done(PAGE, "password")),
        Err(error) => {
            let failure = Failure::of("password", error)?;
            render(&state, &signed, &headers, Extra { failure: Some(failure), ..Extra::default() }).await
        }
    }
}

async fn change_password(
    state: &AppState,
    signed: &Signed,
    headers: &HeaderMap,
    form: &PasswordForm,
) -> Result<(), ApiError> {
    let ctx = &signed.ctx;
    let current = current_session(state, ctx, headers).await?;
    let sessions = SessionStore::of(state);
    let settings = state.settings();
    let hashing = PasswordHashing::new(&settings.auth).map_err(ApiError::internal)?;
    let user = user_get(state.db().write(), ctx.user_id()).await?.ok_or(ApiError::Unauthenticated)?;
    let asking = Asking { user: &user, session: &current, origin: &ctx.origin };
    let proof = Proof { password: &form.current_password, second_factor: None };
    let txn = reauthenticate(state.db(), &sessions, settings, &hashing, asking, proof).await?;
    let password = Password::parse(&form.new_password, &user.email, &settings.auth)
        .map_err(|weak| ApiError::invalid("new_password", weak.to_string()))?;
    let change = NewPassword { password, keep_session: Some(current.id), sessions: &sessions };
    user_set_password(&txn, ctx.acting(), user.id, change, &hashing, PasswordSetBy::Change, settings).await?;
    txn.commit().await?;
    Ok(())
}
