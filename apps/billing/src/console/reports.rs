//! `/admin/billing-reports`: what customers owe by age on a day (A/R aging) and revenue by
//! month and currency, as tables, with links to the API's CSV of each (the API takes the
//! console's session for `GET`).

use axum::extract::{Query, State};
use baseops_console::form::{Failure, answer};
use baseops_console::list::given;
use baseops_console::{Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState};
use chrono::{Months, NaiveDate};
use serde::Deserialize;

use super::{Answer, names};
use crate::api::organization_facts;
use crate::permission::BILLING_VIEW;
use crate::selector::report::{aging, month_range, revenue};

/// The reports' days, as a browser sends them: blank means the API's default.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ReportForm {
    as_of: String,
    from: String,
    to: String,
}

/// A day typed into `field`, or `default` when blank.
fn day(field: &str, text: &str, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    match given(text) {
        Some(text) => text.parse().map_err(|_| ApiError::invalid(field, "must be a day as 2026-12-31")),
        None => Ok(default),
    }
}

/// The days asked for, with the same defaults as the API: aging today, revenue over the
/// twelve months up to this one.
fn days(form: &ReportForm, today: NaiveDate) -> Result<(NaiveDate, NaiveDate, NaiveDate), ApiError> {
    let as_of = day("as_of", &form.as_of, today)?;
    let to = day("to", &form.to, today)?;
    let from = day("from", &form.from, to.checked_sub_months(Months::new(11)).unwrap_or(to))?;
    Ok((as_of, from, to))
}

/// `GET /admin/billing-reports`; days the form got wrong are said above it and the reports
/// show their defaults.
pub(super) async fn reports(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ReportForm>,
) -> Answer {
    signed.ctx.require(BILLING_VIEW)?;
    let organization_id = signed.ctx.organization_id()?;
    let (_, today) = organization_facts(&state, organization_id).await?;
    let checked =
        days(&form, today).and_then(|(as_of, from, to)| Ok((as_of, from, to, month_range(from, to)?)));
    let (failure, (as_of, from, to, (start, end))) = match checked {
        Ok(found) => (None, found),
        Err(error) => {
            let failure = Failure::of("reports", error)?;
            let (as_of, from, to) = days(&ReportForm::default(), today)?;
            (Some(failure), (as_of, from, to, month_range(from, to)?))
        }
    };
    let db = state.db().read();
    let aging = aging(db, organization_id, as_of).await.map_err(ApiError::from)?;
    let months = revenue(db, organization_id, start, end).await.map_err(ApiError::from)?;
    let customers =
        names(&state, organization_id, aging.rows.iter().filter_map(|row| row.customer_id)).await?;
    let page = signed.page(
        "billing/reports.html",
        vec![Crumb::link("Invoices", "/admin/invoices"), Crumb::here("Billing reports")],
        context! {
            aging => value(&aging), months => value(&months), customers => value(&customers),
            as_of => as_of.to_string(), from => from.to_string(), to => to.to_string(),
            failure => value(&failure),
        },
    );
    Ok(answer(failure.as_ref(), page))
}
