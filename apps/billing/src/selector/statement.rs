//! Two more reports: the tax summary (what each rate charged, per currency, over a range of
//! issue dates) and a customer's statement (their ledger over a range, with the opening and
//! closing balance and a running one) — grouped sums and ordered reads in the database.

use std::collections::HashMap;

use baseops_core::ApiError;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::decimal::Decimal4;
use crate::model::{invoice, invoice_tax, ledger_entry};
use crate::status::InvoiceStatus;

/// Most days a tax summary or statement spans (ten years).
pub const MAX_DAYS: i64 = 3_660;
/// Most ledger entries one statement lists; a longer one asks for a shorter range.
pub const MAX_STATEMENT_ENTRIES: u64 = 10_000;

/// A rate, its name and percent, a currency, and the invoice count, base and tax sums, as the
/// tax summary's query reads them.
type RateSums = (Uuid, String, i64, String, i64, Option<i64>, Option<i64>);

/// What one tax rate charged in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TaxSummaryRow {
    /// The rate.
    pub tax_rate_id: Uuid,
    /// Its name as invoiced.
    pub name: String,
    /// Its percentage.
    pub percent: Decimal4,
    /// ISO 4217.
    pub currency: String,
    /// Invoices it was charged on.
    pub invoices: i64,
    /// The net amounts it applied to.
    pub base: i64,
    /// The tax charged.
    pub tax: i64,
}

/// Checks a range of days: not backwards, at most [`MAX_DAYS`].
///
/// # Errors
/// 422 on `from`.
pub fn day_range(from: NaiveDate, to: NaiveDate) -> Result<(), ApiError> {
    let days = (to - from).num_days();
    if !(0..=MAX_DAYS).contains(&days) {
        return Err(ApiError::invalid(
            "from",
            format!("must be on or before `to`, at most {MAX_DAYS} days before"),
        ));
    }
    Ok(())
}

/// Per rate and currency, the tax of the organization's finalized invoices (not void) issued
/// from `from` to `to`, both included; as invoiced (credit notes are in the revenue report).
///
/// # Errors
/// Database errors.
pub async fn tax_summary(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<TaxSummaryRow>, DbErr> {
    let charged =
        [InvoiceStatus::Open, InvoiceStatus::Paid, InvoiceStatus::Uncollectible].map(|s| s.as_str());
    let of_invoice: RelationDef = invoice_tax::Entity::belongs_to(invoice::Entity)
        .from(invoice_tax::Column::InvoiceId)
        .to(invoice::Column::Id)
        .into();
    let count = Expr::expr(Func::cast_as(
        Func::count(Expr::col(invoice_tax::Column::InvoiceId)),
        Alias::new("BIGINT"),
    ));
    let rows: Vec<RateSums> = invoice_tax::Entity::find()
        .select_only()
        .column(invoice_tax::Column::TaxRateId)
        .column(invoice_tax::Column::Name)
        .column(invoice_tax::Column::Percent)
        .column(invoice::Column::Currency)
        .column_as(count, "invoices")
        .column_as(super::sum_of(invoice_tax::Column::Base), "base")
        .column_as(super::sum_of(invoice_tax::Column::Amount), "tax")
        .join(JoinType::InnerJoin, of_invoice)
        .filter(invoice::Column::OrganizationId.eq(organization_id))
        .filter(invoice::Column::Status.is_in(charged))
        .filter(invoice::Column::IssuedOn.gte(from))
        .filter(invoice::Column::IssuedOn.lte(to))
        .group_by(invoice::Column::Currency)
        .group_by(invoice_tax::Column::TaxRateId)
        .group_by(invoice_tax::Column::Name)
        .group_by(invoice_tax::Column::Percent)
        .order_by_asc(invoice::Column::Currency)
        // Not by name: PostgreSQL's collation and SQLite's bytes would order names differently.
        .order_by_asc(invoice_tax::Column::Percent)
        .order_by_asc(invoice_tax::Column::TaxRateId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(tax_rate_id, name, percent, currency, invoices, base, tax)| TaxSummaryRow {
            tax_rate_id,
            name,
            percent: Decimal4::from_ten_thousandths(percent),
            currency,
            invoices,
            base: base.unwrap_or(0),
            tax: tax.unwrap_or(0),
        })
        .collect())
}

/// A line of a customer's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatementLine {
    /// When it moved.
    pub at: DateTime<Utc>,
    /// What moved (`invoice_issued`, `payment_applied`, `credit_note_to_balance`, …).
    pub kind: String,
    /// The invoice it concerns, if any.
    pub invoice_id: Option<Uuid>,
    /// That invoice's number.
    pub invoice_number: Option<String>,
    /// Minor units, positive when it raises what the customer owes.
    pub amount: i64,
    /// What they owe after it (negative: their credit).
    pub balance: i64,
}

/// A customer's account in one currency over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatementOut {
    /// The customer.
    pub customer_id: Uuid,
    /// ISO 4217.
    pub currency: String,
    /// From this moment (the first day's start in the organization's time zone).
    pub from: DateTime<Utc>,
    /// Until this moment (the last day's end), excluded.
    pub until: DateTime<Utc>,
    /// What they owed at `from`.
    pub opening_balance: i64,
    /// Every movement, oldest first.
    pub lines: Vec<StatementLine>,
    /// What they owed at `until`.
    pub closing_balance: i64,
}

/// The statement of a customer's ledger in `currency` from `from` until `until`.
///
/// # Errors
/// 422 `from` when it holds more than [`MAX_STATEMENT_ENTRIES`] entries; database errors.
pub async fn statement(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    customer_id: Uuid,
    currency: &str,
    (from, until): (DateTime<Utc>, DateTime<Utc>),
) -> Result<StatementOut, ApiError> {
    let of_customer = || {
        ledger_entry::Entity::find()
            .filter(ledger_entry::Column::OrganizationId.eq(organization_id))
            .filter(ledger_entry::Column::CustomerId.eq(customer_id))
            .filter(ledger_entry::Column::Currency.eq(currency))
    };
    let opening: Option<i64> = of_customer()
        .select_only()
        .column_as(super::sum_of(ledger_entry::Column::Amount), "opening")
        .filter(ledger_entry::Column::CreatedAt.lt(from))
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    let entries = of_customer()
        .filter(ledger_entry::Column::CreatedAt.gte(from))
        .filter(ledger_entry::Column::CreatedAt.lt(until))
        .order_by_asc(ledger_entry::Column::CreatedAt)
        .order_by_asc(ledger_entry::Column::Id)
        .limit(MAX_STATEMENT_ENTRIES + 1)
        .all(db)
        .await?;
    if entries.len() as u64 > MAX_STATEMENT_ENTRIES {
        return Err(ApiError::invalid(
            "from",
            format!("the range holds more than {MAX_STATEMENT_ENTRIES} movements: choose a shorter one"),
        ));
    }
    let ids: Vec<Uuid> = entries.iter().filter_map(|entry| entry.invoice_id).collect();
    let numbers: HashMap<Uuid, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        let rows: Vec<(Uuid, Option<String>)> = invoice::Entity::find()
            .select_only()
            .column(invoice::Column::Id)
            .column(invoice::Column::Number)
            .filter(invoice::Column::Id.is_in(ids))
            .into_tuple()
            .all(db)
            .await?;
        rows.into_iter().filter_map(|(id, number)| Some((id, number?))).collect()
    };
    let opening_balance = opening.unwrap_or(0);
    let mut balance = opening_balance;
    let lines = entries
        .into_iter()
        .map(|entry| {
            balance += entry.amount;
            StatementLine {
                at: entry.created_at,
                kind: entry.kind,
                invoice_number: entry.invoice_id.and_then(|id| numbers.get(&id).cloned()),
                invoice_id: entry.invoice_id,
                amount: entry.amount,
                balance,
            }
        })
        .collect();
    Ok(StatementOut {
        customer_id,
        currency: currency.to_owned(),
        from,
        until,
        opening_balance,
        lines,
        closing_balance: balance,
    })
}
