//! Reading `analytics_daily`: the KPI series of the API and the dashboard. Nothing here
//! touches the event log or another app's tables.

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::table::AnalyticsDaily;

/// One day's figure.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = AnalyticsKpiPoint)]
pub struct KpiPoint {
    /// The day (UTC).
    pub day: NaiveDate,
    /// A count, or an amount in minor units of `currency`.
    pub value: i64,
}

/// A metric split by one dimension and currency, day by day (days without a figure are
/// left out).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = AnalyticsKpiSeries)]
pub struct KpiSeries {
    /// `leads.new`, `leads.won`, `leads.lost`, `leads.converted`, `tasks.created`,
    /// `tasks.completed`, `tasks.overdue`, `pipeline.open_value`, `pipeline.open_count`.
    pub metric: String,
    /// The source (leads), the stage (pipeline), or empty.
    pub dimension: String,
    /// ISO 4217 for amounts, else empty.
    pub currency: String,
    /// Its figures, oldest first.
    pub points: Vec<KpiPoint>,
}

/// Every series of an organization over `from..=to`, read from the aggregates.
///
/// # Errors
/// Database errors.
pub async fn kpis(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<KpiSeries>, DbErr> {
    let mut query = Query::select();
    query
        .columns([
            AnalyticsDaily::Metric,
            AnalyticsDaily::Dimension,
            AnalyticsDaily::Currency,
            AnalyticsDaily::Day,
            AnalyticsDaily::Value,
        ])
        .from(AnalyticsDaily::Table)
        .and_where(Expr::col(AnalyticsDaily::OrganizationId).eq(organization_id))
        .and_where(Expr::col(AnalyticsDaily::Day).gte(from))
        .and_where(Expr::col(AnalyticsDaily::Day).lte(to))
        .order_by(AnalyticsDaily::Metric, Order::Asc)
        .order_by(AnalyticsDaily::Dimension, Order::Asc)
        .order_by(AnalyticsDaily::Currency, Order::Asc)
        .order_by(AnalyticsDaily::Day, Order::Asc);
    let mut out: Vec<KpiSeries> = Vec::new();
    for row in db.query_all(&query).await? {
        let metric: String = row.try_get("", "metric")?;
        let dimension: String = row.try_get("", "dimension")?;
        let currency: String = row.try_get("", "currency")?;
        let point = KpiPoint { day: row.try_get("", "day")?, value: row.try_get("", "value")? };
        match out.last_mut() {
            Some(last)
                if last.metric == metric && last.dimension == dimension && last.currency == currency =>
            {
                last.points.push(point);
            }
            _ => out.push(KpiSeries { metric, dimension, currency, points: vec![point] }),
        }
    }
    Ok(out)
}
