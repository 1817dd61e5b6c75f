//! The active organization's settings: name, slug, default currency and time zone — the
//! same checks and service as `PATCH /organizations/{id}`, with the version the page read as
//! `If-Match`.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};

use super::form::{DoneQuery, Failure, answer, done};
use crate::api::OrganizationOut;
use crate::permission::ORGANIZATIONS_EDIT;
use crate::selector::organization_get_by_ref;
use crate::service::organization::{OrganizationChange, organization_update};

const PAGE: &str = "/admin/settings";

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PAGE, get(page).post(save))
}

/// The settings form as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct SettingsForm {
    name: String,
    slug: String,
    currency: String,
    time_zone: String,
    version: String,
}

impl SettingsForm {
    fn of(organization: &OrganizationOut) -> Self {
        Self {
            name: organization.name.clone(),
            slug: organization.slug.clone(),
            currency: organization.currency.clone(),
            time_zone: organization.time_zone.clone(),
            version: organization.version.to_string(),
        }
    }
}

async fn current(state: &AppState, signed: &Signed) -> Result<OrganizationOut, ApiError> {
    let id = signed.ctx.organization_id()?;
    let found = organization_get_by_ref(state.db().write(), &id.to_string()).await?;
    found.map(OrganizationOut::from).ok_or(ApiError::NotFound)
}

fn render(
    signed: &Signed,
    form: &SettingsForm,
    failure: Option<Failure>,
    done: Option<&'static str>,
) -> Response {
    let page = signed.page(
        "users/settings.html",
        vec![Crumb::here("Organization")],
        context! { form => value(form), failure => value(&failure), done => done },
    );
    answer(failure.as_ref(), page)
}

async fn page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(ORGANIZATIONS_EDIT)?;
    let organization = current(&state, &signed).await?;
    let done = (query.done == "saved").then_some("The organization's settings are saved.");
    Ok(render(&signed, &SettingsForm::of(&organization), None, done))
}

async fn save(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<SettingsForm>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(ORGANIZATIONS_EDIT)?;
    let saved = async {
        let id = ctx.organization_id()?;
        let version = form.version.trim().parse().map_err(|_| ApiError::PreconditionFailed)?;
        let change = OrganizationChange {
            name: Some(form.name.clone()),
            slug: Some(form.slug.trim().to_owned()),
            currency: Some(form.currency.trim().to_owned()),
            time_zone: Some(form.time_zone.trim().to_owned()),
        };
        let update = change.check().map_err(ApiError::Validation)?;
        let txn = state.db().write().begin().await?;
        organization_update(&txn, ctx.acting(), id, Some(version), update).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match saved.await {
        Ok(()) => Ok(done(PAGE, "saved")),
        Err(error) => {
            let failure = Failure::of_edit("settings", error, "organization")?;
            Ok(render(&signed, &form, Some(failure), None))
        }
    }
}
