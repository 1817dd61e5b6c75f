//! Customers in the console: the list and a customer's page, read-only until the billing app
//! takes customers over — the same selectors and `customers.view` as the API.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use baseops_app::{ConsolePage, ConsoleSection};
use baseops_console::list::given;
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, Paging};
use serde::Deserialize;
use uuid::Uuid;

use crate::permission::CUSTOMERS_VIEW;
use crate::selector::{SORT, customer_by_id, customer_list};

/// What the customers app adds to the console.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[ConsolePage { path: "customers", title: "Customers", permission: Some(CUSTOMERS_VIEW) }],
    routes,
    templates: &[
        ("customers/list.html", include_str!("../templates/customers/list.html")),
        ("customers/detail.html", include_str!("../templates/customers/detail.html")),
    ],
    search: None,
    work: None,
};

fn routes() -> Router<AppState> {
    Router::new().route("/admin/customers", get(list)).route("/admin/customers/{id}", get(detail))
}

/// The list's paging, as a browser sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListForm {
    cursor: String,
}

async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ListForm>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(CUSTOMERS_VIEW)?;
    let paging = Paging::new(None, given(&form.cursor).as_deref(), SORT)?;
    let page = customer_list(state.db().read(), signed.ctx.organization_id()?, &paging)
        .await
        .map_err(ApiError::from)?;
    Ok(signed.page(
        "customers/list.html",
        vec![Crumb::here("Customers")],
        context! { page => value(&page), first_page => "/admin/customers", paged => !form.cursor.is_empty() },
    ))
}

async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(CUSTOMERS_VIEW)?;
    let customer = customer_by_id(state.db().read(), signed.ctx.organization_id()?, id)
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::NotFound)?;
    let name = customer.name.clone();
    Ok(signed.page(
        "customers/detail.html",
        vec![Crumb::link("Customers", "/admin/customers"), Crumb::here(name)],
        context! { customer => value(&customer) },
    ))
}
