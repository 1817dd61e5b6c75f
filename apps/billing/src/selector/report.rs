//! Reports: accounts-receivable aging and revenue by month, computed in the database with
//! grouped sums (never by loading invoices), the same on SQLite and PostgreSQL.

use baseops_core::ApiError;
use chrono::{Datelike, Days, NaiveDate};
use sea_orm::sea_query::{Alias, CaseStatement, Expr, ExprTrait, Func, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::invoice;
use crate::status::InvoiceStatus;

/// Most customers an aging report lists (the largest balances first); its totals count all.
pub const MAX_AGING_ROWS: u64 = 1_000;
/// Most months a revenue report spans.
pub const MAX_MONTHS: u32 = 120;

/// One bucket's sum as the database reads it (`NULL` when no row).
type Bucket = Option<i64>;

/// A customer, a currency and their six sums, as the aging query reads them.
type CustomerBuckets = (Uuid, String, Bucket, Bucket, Bucket, Bucket, Bucket, Bucket);

/// What one customer owes in one currency, by how long it is past due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AgingRow {
    /// The customer (none in the totals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Uuid>,
    /// ISO 4217.
    pub currency: String,
    /// Not yet due.
    pub current: i64,
    /// 1–30 days past due.
    pub days_1_30: i64,
    /// 31–60 days past due.
    pub days_31_60: i64,
    /// 61–90 days past due.
    pub days_61_90: i64,
    /// More than 90 days past due.
    pub over_90: i64,
    /// All of it.
    pub total: i64,
}

/// Accounts receivable on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AgingOut {
    /// The day the ages are counted at.
    pub as_of: NaiveDate,
    /// Per customer and currency, the largest totals first (at most 1,000).
    pub rows: Vec<AgingRow>,
    /// Whether more customers owe than are listed.
    pub truncated: bool,
    /// Per currency, over every customer.
    pub totals: Vec<AgingRow>,
}

fn bucket(from: Option<NaiveDate>, to: Option<NaiveDate>) -> sea_orm::sea_query::Expr {
    let due = Expr::col(invoice::Column::DueOn);
    let condition = match (from, to) {
        (Some(from), Some(to)) => due.clone().gte(from).and(due.lt(to)),
        (Some(from), None) => due.gte(from),
        (None, Some(to)) => due.lt(to),
        (None, None) => Expr::value(true),
    };
    let case = CaseStatement::new()
        .case(condition, Expr::col(invoice::Column::AmountDue))
        .finally(Expr::value(0_i64));
    Expr::expr(Func::cast_as(Func::sum(case), Alias::new("BIGINT")))
}

/// The aging of the organization's open invoices on `as_of`, by due date.
///
/// # Errors
/// Database errors.
pub async fn aging(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    as_of: NaiveDate,
) -> Result<AgingOut, DbErr> {
    let back = |days: u64| as_of.checked_sub_days(Days::new(days)).unwrap_or(NaiveDate::MIN);
    // Past due by n days: due_on = as_of − n. "1–30" is due_on in [as_of − 30, as_of).
    let edges = [
        (Some(as_of), None),
        (Some(back(30)), Some(as_of)),
        (Some(back(60)), Some(back(30))),
        (Some(back(90)), Some(back(60))),
        (None, Some(back(90))),
    ];
    // The grouping columns first: the tuples below read them first.
    let open = |leading: &[invoice::Column]| {
        let mut query = invoice::Entity::find().select_only().columns(leading.iter().copied());
        query = query
            .filter(invoice::Column::OrganizationId.eq(organization_id))
            .filter(invoice::Column::Status.eq(InvoiceStatus::Open.as_str()))
            .filter(invoice::Column::AmountDue.gt(0));
        for (index, (from, to)) in edges.iter().enumerate() {
            query = query.column_as(bucket(*from, *to), format!("b{index}"));
        }
        query.column_as(bucket(None, None), "total")
    };
    type Sums = (Bucket, Bucket, Bucket, Bucket, Bucket, Bucket);
    let row = |customer_id: Option<Uuid>, currency: String, sums: Sums| AgingRow {
        customer_id,
        currency,
        current: sums.0.unwrap_or(0),
        days_1_30: sums.1.unwrap_or(0),
        days_31_60: sums.2.unwrap_or(0),
        days_61_90: sums.3.unwrap_or(0),
        over_90: sums.4.unwrap_or(0),
        total: sums.5.unwrap_or(0),
    };
    let by_customer: Vec<CustomerBuckets> = open(&[invoice::Column::CustomerId, invoice::Column::Currency])
        .group_by(invoice::Column::CustomerId)
        .group_by(invoice::Column::Currency)
        .order_by(Expr::expr(Func::sum(Expr::col(invoice::Column::AmountDue))), Order::Desc)
        .order_by(invoice::Column::CustomerId, Order::Asc)
        .limit(MAX_AGING_ROWS + 1)
        .into_tuple()
        .all(db)
        .await?;
    let truncated = by_customer.len() as u64 > MAX_AGING_ROWS;
    let rows = by_customer
        .into_iter()
        .take(MAX_AGING_ROWS as usize)
        .map(|(customer, currency, a, b, c, d, e, total)| {
            row(Some(customer), currency, (a, b, c, d, e, total))
        })
        .collect();
    let totals: Vec<(String, Bucket, Bucket, Bucket, Bucket, Bucket, Bucket)> =
        open(&[invoice::Column::Currency])
            .group_by(invoice::Column::Currency)
            .order_by(invoice::Column::Currency, Order::Asc)
            .into_tuple()
            .all(db)
            .await?;
    let totals = totals
        .into_iter()
        .map(|(currency, a, b, c, d, e, total)| row(None, currency, (a, b, c, d, e, total)))
        .collect();
    Ok(AgingOut { as_of, rows, truncated, totals })
}

/// One month's money in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RevenueMonth {
    /// `2026-12`.
    pub month: String,
    /// ISO 4217.
    pub currency: String,
    /// Σ totals of the invoices finalized that month (void ones left out).
    pub invoiced: i64,
    /// Σ credit notes issued that month.
    pub credited: i64,
    /// `invoiced − credited`.
    pub net: i64,
    /// Σ payments received that month.
    pub collected: i64,
}

/// A month as `YYYY-MM` text in SQL, for each engine.
fn month_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({column}, 'YYYY-MM')"),
        // Dates and times are ISO text on SQLite: the month is their first seven characters,
        // without parsing every row's date as strftime would (a third of the report's time).
        _ => format!("substr({column}, 1, 7)"),
    }
}

/// The first day of `month`'s month and of the month after `last`'s.
///
/// # Errors
/// 422 on a range over [`MAX_MONTHS`] or backwards.
pub fn month_range(first: NaiveDate, last: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let start = first.with_day(1).unwrap_or(first);
    let end = last.with_day(1).and_then(|day| day.checked_add_months(chrono::Months::new(1))).unwrap_or(last);
    let months = (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32;
    if months <= 0 || months > MAX_MONTHS as i32 {
        return Err(ApiError::invalid(
            "from",
            format!("the range must be 1 to {MAX_MONTHS} months, from before to"),
        ));
    }
    Ok((start, end))
}

/// Revenue by month and currency in `[start, end)` (first days of months).
///
/// # Errors
/// Database errors.
pub async fn revenue(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<RevenueMonth>, DbErr> {
    let backend = db.get_database_backend();
    let (p1, p2, p3) = match backend {
        DbBackend::Postgres => ("$1", "$2", "$3"),
        _ => ("?", "?", "?"),
    };
    // Constant SQL per engine; every value is a bound parameter. Credit notes are dated by
    // their creation (UTC); invoices by their issue day, payments by the day received.
    let sql = format!(
        "SELECT month, currency, CAST(SUM(invoiced) AS BIGINT), CAST(SUM(credited) AS BIGINT), \
         CAST(SUM(collected) AS BIGINT) FROM (\
         SELECT {im} AS month, currency, total AS invoiced, 0 AS credited, 0 AS collected FROM billing_invoices \
         WHERE organization_id = {p1} AND status NOT IN ('draft', 'void') AND issued_on >= {p2} AND issued_on < {p3} \
         UNION ALL SELECT {cm}, currency, 0, amount, 0 FROM billing_credit_notes \
         WHERE organization_id = {p1} AND created_at >= {p2} AND created_at < {p3} \
         UNION ALL SELECT {pm}, currency, 0, 0, amount FROM billing_payments \
         WHERE organization_id = {p1} AND received_on >= {p2} AND received_on < {p3}) AS moves \
         GROUP BY month, currency ORDER BY month, currency",
        im = month_of(backend, "issued_on"),
        cm = month_of(backend, "created_at"),
        pm = month_of(backend, "received_on"),
    );
    let values = match backend {
        DbBackend::Postgres => vec![organization_id.into(), start.into(), end.into()],
        // SQLite binds by position, once per `?`.
        _ => vec![
            organization_id.into(),
            start.into(),
            end.into(),
            organization_id.into(),
            start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().into(),
            end.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().into(),
            organization_id.into(),
            start.into(),
            end.into(),
        ],
    };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.into_iter()
        .map(|row| {
            let number =
                |index: usize| row.try_get_by_index::<Option<i64>>(index).map(Option::unwrap_or_default);
            let (invoiced, credited) = (number(2)?, number(3)?);
            Ok(RevenueMonth {
                month: row.try_get_by_index(0)?,
                currency: row.try_get_by_index(1)?,
                invoiced,
                credited,
                net: invoiced - credited,
                collected: number(4)?,
            })
        })
        .collect()
}
