//! `GET /customers` and `GET /customers/{id}`: read-only until the billing app takes over.

use axum::extract::{Path, Query, State};
use baseops_core::{ApiError, AppState, Json, Problem, RequestContext};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::permission::CUSTOMERS_VIEW;
use crate::selector::{CustomerOut, MAX_LIMIT, customer_by_id, customer_list};

/// The customers app's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(detail))
}

/// Paging of the customer list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1–200 (default 50).
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A page of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPage {
    /// Customers, newest first.
    pub items: Vec<CustomerOut>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// The organization's customers, newest first.
#[utoipa::path(get, path = "/customers", operation_id = "customers_list", tag = "customers", params(ListQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of customers", body = CustomerPage),
        (status = 400, description = "Bad cursor (invalid_cursor)", body = Problem),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Requires customers.view", body = Problem),
        (status = 422, description = "Bad limit", body = Problem),
    ))]
async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<ListQuery>,
) -> Result<Json<CustomerPage>, ApiError> {
    ctx.require(CUSTOMERS_VIEW)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    let after = match query.cursor {
        None => None,
        Some(cursor) => Some(Uuid::parse_str(&cursor).map_err(|_| ApiError::BadRequest {
            code: "invalid_cursor",
            detail: "The cursor is not one this list produced.".into(),
        })?),
    };
    let mut items = customer_list(state.db().read(), ctx.organization_id()?, after, limit + 1).await?;
    let next_cursor = if items.len() as u64 > limit {
        items.truncate(limit as usize);
        items.last().map(|customer| customer.id.to_string())
    } else {
        None
    };
    Ok(Json(CustomerPage { items, next_cursor }))
}

/// One customer.
#[utoipa::path(get, path = "/customers/{id}", operation_id = "customers_detail", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")), security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The customer", body = CustomerOut),
        (status = 401, description = "Not authenticated", body = Problem),
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
