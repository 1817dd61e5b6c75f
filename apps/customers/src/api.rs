//! `/customers`: list, add, detail, change (with the billing profile).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{
    ApiError, AppState, ETag, IfMatch, Json, Page, PageQuery, Paging, Problem, Query, RequestContext,
};
use sea_orm::TransactionTrait;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::permission::{CUSTOMERS_CREATE, CUSTOMERS_EDIT, CUSTOMERS_VIEW};
use crate::selector::{CustomerOut, SORT, customer_by_id, customer_list};
use crate::service::{CustomerChanges, CustomerIn, customer_add, customer_update};

/// The customers app's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(detail, update))
}

/// The customer, read back from the write pool (a replica may not have it yet).
async fn written(
    state: &AppState,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(ETag, Json<CustomerOut>), ApiError> {
    let found = customer_by_id(state.db().write(), organization_id, id).await?.ok_or(ApiError::NotFound)?;
    Ok((ETag(found.version), Json(found)))
}

/// Adds a customer with their billing profile (customers also come from won leads).
#[utoipa::path(post, path = "/customers", operation_id = "customers_create", tag = "customers", request_body = CustomerIn,
    responses(
        (status = 201, description = "The customer", body = CustomerOut, headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Requires customers.create", body = Problem),
        (status = 422, description = "Invalid fields by path (tax_ids[0].value, billing_address.country, …)", body = Problem),
    ))]
async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(new): Json<CustomerIn>,
) -> Result<(StatusCode, ETag, Json<CustomerOut>), ApiError> {
    ctx.require(CUSTOMERS_CREATE)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    let id = customer_add(&txn, ctx.acting(), organization_id, new).await?;
    txn.commit().await?;
    let (etag, customer) = written(&state, organization_id, id).await?;
    Ok((StatusCode::CREATED, etag, customer))
}

/// Changes a customer: what is sent replaces what was there, `null` clears it.
#[utoipa::path(patch, path = "/customers/{id}", operation_id = "customers_update", tag = "customers", request_body = CustomerChanges,
    params(("id" = Uuid, Path, description = "Customer id"),
        ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, description = "The customer", body = CustomerOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires customers.edit", body = Problem),
        (status = 404, description = "No such customer in this organization", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields by path", body = Problem),
        (status = 428, description = "If-Match is missing (precondition_required)", body = Problem),
    ))]
async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(changes): Json<CustomerChanges>,
) -> Result<(ETag, Json<CustomerOut>), ApiError> {
    ctx.require(CUSTOMERS_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    customer_update(&txn, ctx.acting(), organization_id, id, Some(version), changes).await?;
    txn.commit().await?;
    written(&state, organization_id, id).await
}

/// The organization's customers, newest first.
#[utoipa::path(get, path = "/customers", operation_id = "customers_list", tag = "customers", params(PageQuery),
    responses(
        (status = 200, description = "A page of customers", body = Page<CustomerOut>),
        (status = 400, description = "Bad cursor (invalid_cursor)", body = Problem),
        (status = 403, description = "Requires customers.view", body = Problem),
        (status = 422, description = "Bad limit", body = Problem),
    ))]
async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<CustomerOut>>, ApiError> {
    ctx.require(CUSTOMERS_VIEW)?;
    let paging = Paging::new(query.limit, query.cursor.as_deref(), SORT)?;
    Ok(Json(customer_list(state.db().read(), ctx.organization_id()?, &paging).await?))
}

/// One customer.
#[utoipa::path(get, path = "/customers/{id}", operation_id = "customers_detail", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")), responses(
        (status = 200, description = "The customer", body = CustomerOut, headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Requires customers.view", body = Problem),
        (status = 404, description = "No such customer in this organization", body = Problem),
    ))]
async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<(ETag, Json<CustomerOut>), ApiError> {
    ctx.require(CUSTOMERS_VIEW)?;
    let found =
        customer_by_id(state.db().read(), ctx.organization_id()?, id).await?.ok_or(ApiError::NotFound)?;
    Ok((ETag(found.version), Json(found)))
}
