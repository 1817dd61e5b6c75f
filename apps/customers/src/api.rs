//! `GET /customers` and `GET /customers/{id}`: read-only until the billing app takes over.

use axum::extract::{Path, State};
use baseops_core::{ApiError, AppState, Json, Page, PageQuery, Paging, Problem, Query, RequestContext};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::permission::CUSTOMERS_VIEW;
use crate::selector::{CustomerOut, SORT, customer_by_id, customer_list};

/// The customers app's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(detail))
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
        (status = 200, description = "The customer", body = CustomerOut),
        (status = 403, description = "Requires customers.view", body = Problem),
        (status = 404, description = "No such customer in this organization", body = Problem),
    ))]
async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<Json<CustomerOut>, ApiError> {
    ctx.require(CUSTOMERS_VIEW)?;
    let found = customer_by_id(state.db().read(), ctx.organization_id()?, id).await?;
    Ok(Json(found.ok_or(ApiError::NotFound)?))
}
