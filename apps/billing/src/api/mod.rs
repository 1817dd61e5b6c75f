//! The billing app's JSON API under `/api/v1/billing`. Handlers authorize (`billing.*`), call
//! one service or selector, and answer; they hold no rules of their own.

mod credit;
mod credit_notes;
mod invoices;
mod payments;
mod reports;
mod settings;
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
        .routes(routes!(tax_rates::list, tax_rates::create))
        .routes(routes!(tax_rates::update))
        .routes(routes!(settings::get_settings, settings::update_settings))
}

/// The organization's currency and today's date in its time zone.
pub(crate) async fn organization_facts(
    state: &AppState,
    organization_id: Uuid,
) -> Result<(Currency, NaiveDate), ApiError> {
    let organization = directory(state)
        .organization(state.db().read().into(), &organization_id.to_string())
        .await?
        .ok_or(ApiError::NotFound)?;
    let currency = Currency::parse(&organization.currency).map_err(ApiError::internal)?;
    let zone: chrono_tz::Tz = organization.time_zone.parse().unwrap_or(chrono_tz::UTC);
    Ok((currency, chrono::Utc::now().with_timezone(&zone).date_naive()))
}

/// The request's `Idempotency-Key`, which an operation that moves money requires.
pub(crate) fn required_key<'a>(key: &'a IdempotencyKey, what: &str) -> Result<&'a str, ApiError> {
    key.0.as_deref().ok_or_else(|| ApiError::BadRequest {
        code: "idempotency_key_required",
        detail: format!("{what}: send an Idempotency-Key header."),
    })
}
