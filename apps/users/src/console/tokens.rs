//! The account page's API tokens: the same checks and services as `POST /tokens` and
//! `DELETE /tokens/{id}`. A new token's secret is in the answer to its form only.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use baseops_console::{ConsoleError, Signed};
use baseops_core::{ApiError, AppState, Grants, RequestContext, Scope};
use chrono::{DateTime, NaiveDate, Utc};
use http::HeaderMap;
use sea_orm::TransactionTrait;
use serde::Serialize;
use uuid::Uuid;

use super::account::{Extra, PAGE, render};
use super::form::{Failure, all, done, one};
use crate::service::token::{NewToken, token_create_and_notify, token_revoke};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/account/tokens", post(create))
        .route("/admin/account/tokens/{id}/revoke", post(revoke))
}

/// The new-token form, as typed (kept when it is refused).
#[derive(Debug, Default, Serialize)]
pub(super) struct TokenForm {
    name: String,
    scopes: Vec<String>,
    expires: String,
}

/// A permission a token may be limited to.
#[derive(Debug, Serialize)]
pub(super) struct ScopeChoice {
    name: String,
    description: &'static str,
}

/// What the person holds in the active organization, as `POST /tokens` judges scopes.
fn held(state: &AppState, ctx: &RequestContext) -> Grants {
    if ctx.principal.is_superuser {
        state.permissions().permissions().iter().map(|p| (p.name.to_owned(), Scope::All)).collect()
    } else {
        (*ctx.principal.grants).clone()
    }
}

/// The permissions the form offers: those the person holds, with what they allow.
pub(super) fn scope_choices(state: &AppState, ctx: &RequestContext) -> Vec<ScopeChoice> {
    let registry = state.permissions().permissions();
    held(state, ctx)
        .into_keys()
        .map(|name| {
            let description =
                registry.iter().find(|p| p.name == name).map_or("", |permission| permission.description);
            ScopeChoice { name, description }
        })
        .collect()
}

/// A date as the form's date field sends it: the token stops working at 00:00 UTC that day.
fn expiry(text: &str) -> Result<Option<DateTime<Utc>>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| ())?;
    Ok(date.and_hms_opt(0, 0, 0).map(|at| at.and_utc()))
}

async fn create(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let form = TokenForm {
        name: one(&fields, "name").to_owned(),
        scopes: all(&fields, "scopes").map(str::to_owned).collect(),
        expires: one(&fields, "expires").to_owned(),
    };
    let created = match expiry(&form.expires) {
        Ok(expires_at) => create_token(&state, &signed.ctx, &form, expires_at).await,
        Err(()) => Err(ApiError::invalid("expires", "must be a date such as 2027-01-31")),
    };
    match created {
        Ok(token) => {
            let extra = Extra { new_token: Some(token), ..Extra::default() };
            render(&state, &signed, &headers, extra).await
        }
        Err(error) => {
            let mut failure = Failure::of("token", error)?;
            if let Some(messages) = failure.fields.remove("expires_at") {
                failure.fields.entry("expires".to_owned()).or_default().extend(messages);
            }
            let extra = Extra { failure: Some(failure), token_form: Some(form), ..Extra::default() };
            render(&state, &signed, &headers, extra).await
        }
    }
}

/// `POST /tokens`: session only, for the active organization, scopes among those held.
async fn create_token(
    state: &AppState,
    ctx: &RequestContext,
    form: &TokenForm,
    expires_at: Option<DateTime<Utc>>,
) -> Result<String, ApiError> {
    ctx.require_session()?;
    let organization_id = ctx.organization_id()?;
    let new = NewToken { name: &form.name, scopes: &form.scopes, expires_at }
        .check(&held(state, ctx), Utc::now())
        .map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let created =
        token_create_and_notify(&txn, ctx.acting(), ctx.user_id(), organization_id, new, state.settings())
            .await?;
    txn.commit().await?;
    Ok(created.token)
}

/// `DELETE /tokens/{id}`: one of the person's own tokens (404 for anyone else's).
async fn revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require_session()?;
    let revoked = async {
        let txn = state.db().write().begin().await?;
        token_revoke(&txn, ctx.acting(), ctx.user_id(), id).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    revoked.await?;
    Ok(done(PAGE, "token-revoked"))
}
