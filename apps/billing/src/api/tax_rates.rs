//! Tax rates: list, create, rename or archive.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, ETag, IfMatch, Json, Problem, RequestContext};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::permission::{BILLING_SETTINGS, BILLING_VIEW};
use crate::service::tax_rate::{
    NewTaxRate, TaxRateChanges, TaxRateOut, tax_rate_create, tax_rate_list, tax_rate_update,
};

/// The organization's tax rates, archived ones included, oldest first.
#[utoipa::path(get, path = "/billing/tax-rates", operation_id = "billing_tax_rates_list", tag = "billing",
    responses(
        (status = 200, description = "The rates", body = Vec<TaxRateOut>),
        (status = 403, description = "Requires billing.view", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<TaxRateOut>>, ApiError> {
    ctx.require(BILLING_VIEW)?;
    Ok(Json(tax_rate_list(state.db().read(), ctx.organization_id()?).await?))
}

/// Makes a tax rate. Its percentage and kind never change afterwards.
#[utoipa::path(post, path = "/billing/tax-rates", operation_id = "billing_tax_rates_create", tag = "billing", request_body = NewTaxRate,
    responses(
        (status = 201, description = "The rate", body = TaxRateOut, headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Requires billing.settings", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(new): Json<NewTaxRate>,
) -> Result<(StatusCode, ETag, Json<TaxRateOut>), ApiError> {
    ctx.require(BILLING_SETTINGS)?;
    let txn = state.db().write().begin().await?;
    let rate = tax_rate_create(&txn, ctx.acting(), ctx.organization_id()?, new).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, ETag(rate.version), Json(rate)))
}

/// Renames a rate, changes its jurisdiction, or archives it (no new line may use it).
#[utoipa::path(patch, path = "/billing/tax-rates/{id}", operation_id = "billing_tax_rates_update", tag = "billing", request_body = TaxRateChanges,
    params(("id" = Uuid, Path, description = "Tax rate id"),
        ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, description = "The rate", body = TaxRateOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.settings", body = Problem),
        (status = 404, description = "No such rate in this organization", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
        (status = 428, description = "If-Match is missing (precondition_required)", body = Problem),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(changes): Json<TaxRateChanges>,
) -> Result<(ETag, Json<TaxRateOut>), ApiError> {
    ctx.require(BILLING_SETTINGS)?;
    let txn = state.db().write().begin().await?;
    let rate =
        tax_rate_update(&txn, ctx.acting(), ctx.organization_id()?, id, Some(version), changes).await?;
    txn.commit().await?;
    Ok((ETag(rate.version), Json(rate)))
}
