//! Reports: accounts-receivable aging, revenue by month, the tax summary and a customer's
//! statement, as JSON or CSV.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use baseops_core::text::csv_field;
use baseops_core::{ApiError, AppState, Currency, Json, Problem, Query, RequestContext};
use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{organization_facts, organization_zone};
use crate::permission::BILLING_VIEW;
use crate::selector::report::{AgingOut, AgingRow, RevenueMonth, aging, month_range, revenue};
use crate::selector::statement::{StatementOut, TaxSummaryRow, day_range, statement, tax_summary};

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

/// `GET /billing/reports/tax-summary`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaxSummaryQuery {
    /// The first issue date counted (default: the first of this month).
    from: Option<NaiveDate>,
    /// The last issue date counted (default: today); at most 3,660 days after `from`.
    to: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    format: Option<ReportFormat>,
}

/// Per tax rate and currency: the invoices it was charged on, the net amounts it applied to
/// and the tax, for finalized invoices (not void) issued in the range; minor units.
#[utoipa::path(get, path = "/billing/reports/tax-summary", operation_id = "billing_reports_tax_summary", tag = "billing", params(TaxSummaryQuery),
    responses(
        (status = 200, description = "The rates (JSON, or CSV with format=csv)", content(
            (Vec<TaxSummaryRow> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 422, description = "A bad range (backwards or over 3,660 days)", body = Problem),
    ))]
pub(super) async fn tax_summary_report(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<TaxSummaryQuery>,
) -> Result<Response, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let organization_id = ctx.organization_id()?;
    let today = organization_facts(&state, organization_id).await?.1;
    let to = query.to.unwrap_or(today);
    let from = query.from.unwrap_or_else(|| to.with_day(1).unwrap_or(to));
    day_range(from, to)?;
    let rows = tax_summary(state.db().read(), organization_id, from, to).await?;
    Ok(match query.format.unwrap_or_default() {
        ReportFormat::Json => Json(rows).into_response(),
        ReportFormat::Csv => csv(
            &format!("tax-summary-{from}-{to}.csv"),
            "tax_rate_id,name,percent,currency,invoices,base,tax",
            rows.iter().map(|row| {
                vec![
                    row.tax_rate_id.to_string(),
                    row.name.clone(),
                    row.percent.to_string(),
                    row.currency.clone(),
                    row.invoices.to_string(),
                    row.base.to_string(),
                    row.tax.to_string(),
                ]
            }),
        ),
    })
}

/// `GET /billing/customers/{id}/statement`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// ISO 4217 (default: the organization's currency).
    #[param(value_type = Option<String>, example = "EUR")]
    currency: Option<Currency>,
    /// The first day (default: 90 days before `to`).
    from: Option<NaiveDate>,
    /// The last day (default: today); at most 3,660 days after `from`.
    to: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    format: Option<ReportFormat>,
}

/// A customer's statement in one currency: the balance at the start of the first day (in the
/// organization's time zone), every movement of their ledger with the balance after it, and
/// the balance at the end of the last day.
#[utoipa::path(get, path = "/billing/customers/{id}/statement", operation_id = "billing_customer_statement", tag = "billing",
    params(("id" = Uuid, Path, description = "Customer id"), StatementQuery),
    responses(
        (status = 200, description = "The statement (JSON, or CSV with format=csv)", content(
            (StatementOut = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 404, description = "No such customer in this organization", body = Problem),
        (status = 422, description = "A bad range (backwards, over 3,660 days, or over 10,000 movements)", body = Problem),
    ))]
pub(super) async fn statement_report(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Query(query): Query<StatementQuery>,
) -> Result<Response, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let organization_id = ctx.organization_id()?;
    let db = state.db().read();
    baseops_customers::customer_by_id(db, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    let (default_currency, zone) = organization_zone(&state, organization_id).await?;
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    let to = query.to.unwrap_or(today);
    let from = query.from.unwrap_or_else(|| to.checked_sub_days(Days::new(90)).unwrap_or(to));
    day_range(from, to)?;
    let start_of = |day: NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(zone).earliest())
            .map(|moment| moment.with_timezone(&chrono::Utc))
            .ok_or_else(|| ApiError::invalid("from", "not a day in the organization's time zone"))
    };
    let until = start_of(to.succ_opt().unwrap_or(to))?;
    let currency = query.currency.unwrap_or(default_currency);
    let report = statement(db, organization_id, id, currency.code(), (start_of(from)?, until)).await?;
    Ok(match query.format.unwrap_or_default() {
        ReportFormat::Json => Json(report).into_response(),
        ReportFormat::Csv => {
            let opening = vec![
                report.from.to_rfc3339(),
                "opening_balance".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                report.opening_balance.to_string(),
            ];
            let lines = report.lines.iter().map(|line| {
                vec![
                    line.at.to_rfc3339(),
                    line.kind.clone(),
                    line.invoice_id.map(|id| id.to_string()).unwrap_or_default(),
                    line.invoice_number.clone().unwrap_or_default(),
                    line.amount.to_string(),
                    line.balance.to_string(),
                ]
            });
            csv(
                &format!("statement-{id}-{from}-{to}.csv"),
                "at,kind,invoice_id,invoice_number,amount,balance",
                std::iter::once(opening).chain(lines),
            )
        }
    })
}
