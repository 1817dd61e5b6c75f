//! The billing app's JSON API under `/api/v1/billing`. Handlers authorize (`billing.*`), call
//! one service or selector, and answer; they hold no rules of their own.

mod catalog;
mod credit;
mod credit_notes;
mod dunning;
mod invoices;
mod payments;
mod pdf;
mod reports;
mod settings;
mod subscriptions;
mod tax_rates;

use baseops_core::{ApiError, AppState, Currency, directory};
use baseops_idempotency::IdempotencyKey;
use chrono::NaiveDate;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub use invoices::InvoiceQuery;

/// Every route of the billing app.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(invoices::list, invoices::create))
        .routes(routes!(invoices::preview))
        .routes(routes!(invoices::detail, invoices::update, invoices::delete))
        .routes(routes!(invoices::finalize))
        .routes(routes!(invoices::void))
        .routes(routes!(invoices::mark_uncollectible))
        .routes(routes!(pdf::invoice_pdf))
        .routes(routes!(pdf::credit_note_pdf))
        .routes(routes!(credit::apply_credit))
        .routes(routes!(credit_notes::issue))
        .routes(routes!(credit_notes::list))
        .routes(routes!(credit_notes::detail))
        .routes(routes!(payments::list, payments::record))
        .routes(routes!(payments::detail))
        .routes(routes!(payments::refund))
        .routes(routes!(payments::balance))
        .routes(routes!(reports::aging_report))
        .routes(routes!(reports::revenue_report))
        .routes(routes!(reports::tax_summary_report))
        .routes(routes!(reports::statement_report))
        .routes(routes!(catalog::list, catalog::create))
        .routes(routes!(catalog::detail, catalog::update))
        .routes(routes!(catalog::add_price))
        .routes(routes!(catalog::update_price))
        .routes(routes!(subscriptions::list, subscriptions::create))
        .routes(routes!(subscriptions::detail, subscriptions::update))
        .routes(routes!(subscriptions::cancel))
        .routes(routes!(subscriptions::pause))
        .routes(routes!(subscriptions::resume))
        .routes(routes!(tax_rates::list, tax_rates::create))
        .routes(routes!(tax_rates::update))
        .routes(routes!(settings::get_settings, settings::update_settings))
        .routes(routes!(dunning::get_policy, dunning::put_policy))
}

/// The organization's currency and time zone.
pub(crate) async fn organization_zone(
    state: &AppState,
    organization_id: Uuid,
) -> Result<(Currency, chrono_tz::Tz), ApiError> {
    let organization = directory(state)
        .organization(state.db().read().into(), &organization_id.to_string())
        .await?
        .ok_or(ApiError::NotFound)?;
    let currency = Currency::parse(&organization.currency).map_err(ApiError::internal)?;
    Ok((currency, organization.time_zone.parse().unwrap_or(chrono_tz::UTC)))
}

/// The organization's currency and today's date in its time zone.
pub(crate) async fn organization_facts(
    state: &AppState,
    organization_id: Uuid,
) -> Result<(Currency, NaiveDate), ApiError> {
    let (currency, zone) = organization_zone(state, organization_id).await?;
    Ok((currency, chrono::Utc::now().with_timezone(&zone).date_naive()))
}

/// The request's `Idempotency-Key`, which an operation that moves money requires.
pub(crate) fn required_key<'a>(key: &'a IdempotencyKey, what: &str) -> Result<&'a str, ApiError> {
    key.0.as_deref().ok_or_else(|| ApiError::BadRequest {
        code: "idempotency_key_required",
        detail: format!("{what}: send an Idempotency-Key header."),
    })
}
