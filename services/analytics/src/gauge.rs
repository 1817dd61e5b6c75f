//! Prometheus gauges of the business figures, set from today's aggregates whenever the
//! aggregation runs (in the worker that ran it).

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};

use crate::metric;
use crate::table::AnalyticsDaily;

/// Sets `baseops_leads_open_value{currency}` and `baseops_tasks_overdue` to the instance's
/// totals of `day`.
///
/// # Errors
/// Database errors.
pub async fn publish(db: &impl ConnectionTrait, day: NaiveDate) -> Result<(), DbErr> {
    let mut query = Query::select();
    query
        .column(AnalyticsDaily::Metric)
        .column(AnalyticsDaily::Currency)
        .expr_as(Expr::cust("CAST(SUM(value) AS BIGINT)"), Alias::new("total"))
        .from(AnalyticsDaily::Table)
        .and_where(Expr::col(AnalyticsDaily::Day).eq(day))
        .and_where(
            Expr::col(AnalyticsDaily::Metric).is_in([metric::PIPELINE_OPEN_VALUE, metric::TASKS_OVERDUE]),
        )
        .group_by_col(AnalyticsDaily::Metric)
        .group_by_col(AnalyticsDaily::Currency);
    let mut overdue = 0;
    for row in db.query_all(&query).await? {
        let name: String = row.try_get("", "metric")?;
        let currency: String = row.try_get("", "currency")?;
        let total: i64 = row.try_get("", "total")?;
        if name == metric::TASKS_OVERDUE {
            overdue = total;
        } else {
            // Minor units as a float: exact up to 2^53, far beyond any pipeline.
            metrics::gauge!("baseops_leads_open_value", "currency" => currency).set(total as f64);
        }
    }
    metrics::gauge!("baseops_tasks_overdue").set(overdue as f64);
    Ok(())
}
