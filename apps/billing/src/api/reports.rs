//! Reports: accounts-receivable aging and revenue by month, as JSON or CSV.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use baseops_core::text::csv_field;
use baseops_core::{ApiError, AppState, Json, Problem, Query, RequestContext};
use chrono::{Months, NaiveDate};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::organization_facts;
use crate::permission::BILLING_VIEW;
use crate::selector::report::{AgingOut, AgingRow, RevenueMonth, aging, month_range, revenue};

/// How a report is answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// `application/json` (default).
    #[default]
    Json,
    /// `text/csv`, one row per line of the report, formulas defused.
    Csv,
}

/// `GET /billing/reports/aging`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgingQuery {
    /// The day ages are counted at (default: today in the organization's time zone).
    as_of: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    format: Option<ReportFormat>,
}

fn csv(name: &str, header_line: &str, lines: impl Iterator<Item = Vec<String>>) -> Response {
    let mut body = String::from(header_line);
    body.push('\n');
    for line in lines {
        body.push_str(&line.iter().map(|field| csv_field(field)).collect::<Vec<_>>().join(","));
        body.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

fn aging_line(row: &AgingRow) -> Vec<String> {
    let customer = row.customer_id.map(|id| id.to_string()).unwrap_or_else(|| "total".to_owned());
    [row.current, row.days_1_30, row.days_31_60, row.days_61_90, row.over_90, row.total]
        .iter()
        .map(ToString::to_string)
        .fold(vec![customer, row.currency.clone()], |mut line, figure| {
            line.push(figure);
            line
        })
}

/// What the organization's customers owe on a day, by how long it is past due (current,
/// 1–30, 31–60, 61–90, over 90 days), per customer (the 1,000 largest) and in total; amounts
/// in minor units of each row's currency.
#[utoipa::path(get, path = "/billing/reports/aging", operation_id = "billing_reports_aging", tag = "billing", params(AgingQuery),
    responses(
        (status = 200, description = "The aging (JSON, or CSV with format=csv)", content(
            (AgingOut = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 422, description = "A bad date", body = Problem),
    ))]
pub(super) async fn aging_report(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<AgingQuery>,
) -> Result<Response, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let organization_id = ctx.organization_id()?;
    let as_of = match query.as_of {
        Some(day) => day,
        None => organization_facts(&state, organization_id).await?.1,
    };
    let report = aging(state.db().read(), organization_id, as_of).await?;
    Ok(match query.format.unwrap_or_default() {
        ReportFormat::Json => Json(report).into_response(),
        ReportFormat::Csv => csv(
            &format!("aging-{as_of}.csv"),
            "customer_id,currency,current,days_1_30,days_31_60,days_61_90,over_90,total",
            report.rows.iter().chain(&report.totals).map(aging_line),
        ),
    })
}

/// `GET /billing/reports/revenue`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RevenueQuery {
    /// A day of the first month (default: eleven months before this one).
    from: Option<NaiveDate>,
    /// A day of the last month (default: this month); at most 120 months in all.
    to: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    format: Option<ReportFormat>,
}

/// Per month and currency: invoiced (finalized, not void), credited, net, and collected
/// (payments received); amounts in minor units.
#[utoipa::path(get, path = "/billing/reports/revenue", operation_id = "billing_reports_revenue", tag = "billing", params(RevenueQuery),
    responses(
        (status = 200, description = "The months (JSON, or CSV with format=csv)", content(
            (Vec<RevenueMonth> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 422, description = "A bad range (backwards or over 120 months)", body = Problem),
    ))]
pub(super) async fn revenue_report(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<RevenueQuery>,
) -> Result<Response, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let organization_id = ctx.organization_id()?;
    let today = organization_facts(&state, organization_id).await?.1;
    let to = query.to.unwrap_or(today);
    let from = query.from.unwrap_or_else(|| to.checked_sub_months(Months::new(11)).unwrap_or(to));
    let (start, end) = month_range(from, to)?;
    let months = revenue(state.db().read(), organization_id, start, end).await?;
    Ok(match query.format.unwrap_or_default() {
        ReportFormat::Json => Json(months).into_response(),
        ReportFormat::Csv => csv(
            &format!("revenue-{start}.csv"),
            "month,currency,invoiced,credited,net,collected",
            months.iter().map(|month| {
                let figures = [month.invoiced, month.credited, month.net, month.collected];
                let mut line = vec![month.month.clone(), month.currency.clone()];
                line.extend(figures.iter().map(ToString::to_string));
                line
            }),
        ),
    })
}
