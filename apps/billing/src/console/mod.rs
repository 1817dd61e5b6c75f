//! Billing in the console: invoices ([`invoices`]) and the invoice editor ([`editor`]), payments and credit notes
//! ([`payments`]), subscriptions with their moves ([`subscriptions`]), the catalog
//! ([`catalog`]), the aging and revenue reports ([`reports`]) and the billing card of the
//! home page ([`work`]). The same services, selectors and `billing.*` permissions as the API;
//! each move carries the version the page showed, as `If-Match` does.

mod catalog;
mod editor;
mod invoices;
mod payments;
mod reports;
mod subscriptions;
mod work;

use std::collections::HashMap;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use baseops_app::{ConsolePage, ConsoleSection};
use baseops_console::ConsoleError;
use baseops_console::form::Failure;
use baseops_core::{ApiError, AppState};
use serde::Deserialize;
use uuid::Uuid;

use crate::permission::BILLING_VIEW;

/// What the billing app adds to the console: the navigation keeps to the four lists people
/// start from; credit notes and reports are linked from the invoice list.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[
        ConsolePage { path: "invoices", title: "Invoices", permission: Some(BILLING_VIEW) },
        ConsolePage { path: "subscriptions", title: "Subscriptions", permission: Some(BILLING_VIEW) },
        ConsolePage { path: "catalog", title: "Catalog", permission: Some(BILLING_VIEW) },
        ConsolePage { path: "payments", title: "Payments", permission: Some(BILLING_VIEW) },
    ],
    routes,
    templates: &[
        ("billing/macros.html", include_str!("../../templates/billing/macros.html")),
        ("billing/invoices.html", include_str!("../../templates/billing/invoices.html")),
        ("billing/invoice.html", include_str!("../../templates/billing/invoice.html")),
        ("billing/invoice_new.html", include_str!("../../templates/billing/invoice_new.html")),
        ("billing/invoice_totals.html", include_str!("../../templates/billing/invoice_totals.html")),
        ("billing/payments.html", include_str!("../../templates/billing/payments.html")),
        ("billing/payment.html", include_str!("../../templates/billing/payment.html")),
        ("billing/credit_notes.html", include_str!("../../templates/billing/credit_notes.html")),
        ("billing/subscriptions.html", include_str!("../../templates/billing/subscriptions.html")),
        ("billing/subscription.html", include_str!("../../templates/billing/subscription.html")),
        ("billing/catalog.html", include_str!("../../templates/billing/catalog.html")),
        ("billing/reports.html", include_str!("../../templates/billing/reports.html")),
    ],
    search: None,
    work: Some(work::work),
};

fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/invoices", get(invoices::list))
        .route("/admin/invoices/new", get(editor::new).post(editor::create))
        .route("/admin/invoices/new/totals", post(editor::totals))
        .route("/admin/invoices/{id}", get(invoices::detail))
        .route("/admin/invoices/{id}/{action}", post(invoices::act))
        .route("/admin/payments", get(payments::list))
        .route("/admin/payments/{id}", get(payments::detail))
        .route("/admin/credit-notes", get(payments::credit_notes))
        .route("/admin/subscriptions", get(subscriptions::list))
        .route("/admin/subscriptions/{id}", get(subscriptions::detail))
        .route("/admin/subscriptions/{id}/{action}", post(subscriptions::act))
        .route("/admin/catalog", get(catalog::list).post(catalog::create_product))
        .route("/admin/catalog/{id}/prices", post(catalog::add_price))
        .route("/admin/catalog/{id}/archive", post(catalog::archive_product))
        .route("/admin/catalog/prices/{id}/archive", post(catalog::archive_price))
        .route("/admin/billing-reports", get(reports::reports))
}

/// A list's cursor as a browser sends it, for the lists with no other filter.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CursorForm {
    cursor: String,
}

/// A move's form: the version the page showed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MoveForm {
    version: String,
}

impl MoveForm {
    /// The version the page showed; a form without one cannot have come from the page, so it
    /// is treated as stale.
    fn version(&self) -> Result<i32, ApiError> {
        self.version.trim().parse().map_err(|_| ApiError::PreconditionFailed)
    }
}

/// The customers' names of `ids`, for a page of records.
async fn names(
    state: &AppState,
    organization_id: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, ApiError> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(baseops_customers::customer_names(state.db().read(), organization_id, &ids).await?)
}

/// A customer id typed into a list's filter: blank is "any customer".
fn customer_filter(text: &str) -> Result<Option<Uuid>, ApiError> {
    match baseops_console::list::given(text) {
        Some(text) => {
            Ok(Some(text.parse().map_err(|_| ApiError::invalid("customer_id", "is not a customer's id"))?))
        }
        None => Ok(None),
    }
}

/// A refused form shown on its page, or the error page for what is not about the form (a
/// missing permission, another organization's record).
fn refused(form: &'static str, error: ApiError, noun: &str) -> Result<Failure, ConsoleError> {
    match error {
        error @ (ApiError::NotFound | ApiError::Forbidden | ApiError::MissingPermission(_)) => {
            Err(error.into())
        }
        error => Failure::of_edit(form, error, noun),
    }
}

/// What a handler answers.
type Answer = Result<Response, ConsoleError>;
