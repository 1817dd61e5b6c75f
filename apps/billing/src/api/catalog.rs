//! The catalog: products (list, create, detail with prices, change or archive) and prices
//! (add to a product, archive or offer again).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, ETag, IfMatch, Json, Page, Paging, Problem, Query, RequestContext};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::organization_facts;
use crate::permission::{BILLING_EDIT, BILLING_VIEW};
use crate::selector::catalog::{PriceOut, ProductOut, SORT, product_detail, product_list};
use crate::service::catalog::{
    NewPrice, NewProduct, ProductChanges, price_create, price_set_active, product_create, product_update,
};

/// Filters and page of `GET /billing/products`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Only active (`true`) or archived (`false`) products.
    active: Option<bool>,
    /// Page size 1–200 (default 50).
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Whether a price is offered.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceChanges {
    /// `false` archives it: no new subscriptions; existing ones go on.
    pub active: bool,
}

async fn product_written(
    state: &AppState,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(ETag, Json<ProductOut>), ApiError> {
    let found = product_detail(state.db().write(), organization_id, id).await?.ok_or(ApiError::NotFound)?;
    Ok((ETag(found.version), Json(found)))
}

/// The organization's products, newest first, without their prices.
#[utoipa::path(get, path = "/billing/products", operation_id = "billing_products_list", tag = "billing", params(ProductQuery),
    responses(
        (status = 200, description = "A page of products", body = Page<ProductOut>),
        (status = 400, description = "Bad cursor (invalid_cursor)", body = Problem),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 422, description = "Bad filter or limit", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<ProductQuery>,
) -> Result<Json<Page<ProductOut>>, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let paging = Paging::new(query.limit, query.cursor.as_deref(), SORT)?;
    Ok(Json(product_list(state.db().read(), ctx.organization_id()?, query.active, &paging).await?))
}

/// Makes a product; add its prices next.
#[utoipa::path(post, path = "/billing/products", operation_id = "billing_products_create", tag = "billing", request_body = NewProduct,
    responses(
        (status = 201, description = "The product", body = ProductOut, headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Requires billing.edit", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(new): Json<NewProduct>,
) -> Result<(StatusCode, ETag, Json<ProductOut>), ApiError> {
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    let id = product_create(&txn, ctx.acting(), organization_id, new).await?;
    txn.commit().await?;
    let (etag, product) = product_written(&state, organization_id, id).await?;
    Ok((StatusCode::CREATED, etag, product))
}

/// A product with its prices.
#[utoipa::path(get, path = "/billing/products/{id}", operation_id = "billing_products_detail", tag = "billing",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductOut, headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 404, description = "No such product in this organization", body = Problem),
    ))]
pub(super) async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<(ETag, Json<ProductOut>), ApiError> {
    ctx.require(BILLING_VIEW)?;
    let found =
        product_detail(state.db().read(), ctx.organization_id()?, id).await?.ok_or(ApiError::NotFound)?;
    Ok((ETag(found.version), Json(found)))
}

/// Renames a product, changes its tax rates, or archives it.
#[utoipa::path(patch, path = "/billing/products/{id}", operation_id = "billing_products_update", tag = "billing", request_body = ProductChanges,
    params(("id" = Uuid, Path, description = "Product id"),
        ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, description = "The product", body = ProductOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.edit", body = Problem),
        (status = 404, description = "No such product in this organization", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
        (status = 428, description = "If-Match is missing (precondition_required)", body = Problem),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(changes): Json<ProductChanges>,
) -> Result<(ETag, Json<ProductOut>), ApiError> {
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    product_update(&txn, ctx.acting(), organization_id, id, Some(version), changes).await?;
    txn.commit().await?;
    product_written(&state, organization_id, id).await
}

/// Adds a price to a product: one-off, or recurring for subscriptions. Prices never change;
/// archive one and add another instead.
#[utoipa::path(post, path = "/billing/products/{id}/prices", operation_id = "billing_prices_create", tag = "billing", request_body = NewPrice,
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 201, description = "The price", body = PriceOut),
        (status = 403, description = "Requires billing.edit", body = Problem),
        (status = 404, description = "No such product in this organization", body = Problem),
        (status = 422, description = "Invalid fields, an archived product or too many prices", body = Problem),
    ))]
pub(super) async fn add_price(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Json(new): Json<NewPrice>,
) -> Result<(StatusCode, Json<PriceOut>), ApiError> {
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let (currency, _) = organization_facts(&state, organization_id).await?;
    let txn = state.db().write().begin().await?;
    let price = price_create(&txn, ctx.acting(), organization_id, id, currency, new).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(price)))
}

/// Archives a price (`{"active": false}`) or offers it again.
#[utoipa::path(patch, path = "/billing/prices/{id}", operation_id = "billing_prices_update", tag = "billing", request_body = PriceChanges,
    params(("id" = Uuid, Path, description = "Price id")),
    responses(
        (status = 200, description = "The price", body = PriceOut),
        (status = 403, description = "Requires billing.edit", body = Problem),
        (status = 404, description = "No such price in this organization", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub(super) async fn update_price(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Json(changes): Json<PriceChanges>,
) -> Result<Json<PriceOut>, ApiError> {
    ctx.require(BILLING_EDIT)?;
    let txn = state.db().write().begin().await?;
    let price = price_set_active(&txn, ctx.acting(), ctx.organization_id()?, id, changes.active).await?;
    txn.commit().await?;
    Ok(Json(price))
}
