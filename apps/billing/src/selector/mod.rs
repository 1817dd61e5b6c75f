//! Reads: an invoice with its lines and tax summary, and the organization's invoices a page
//! at a time, newest first, by status or customer.

use std::collections::HashMap;

use baseops_core::{ApiError, BoundedCount, Page, Paging};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::decimal::Decimal4;
use crate::input::DiscountIn;
use crate::model::{dunning_send, invoice, invoice_line, invoice_tax};
use crate::status::InvoiceStatus;

/// The order cursors of the invoice list are made for.
pub const SORT: &str = "-created";

/// A line as the API shows it; amounts in minor units of the invoice's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LineOut {
    /// Id.
    pub id: Uuid,
    /// The catalog's price it bills, if any.
    pub price_id: Option<Uuid>,
    /// What is billed.
    pub description: String,
    /// How many.
    pub quantity: Decimal4,
    /// The unit price.
    pub unit_amount: i64,
    /// The line's own discount, as sent.
    pub discount: Option<DiscountIn>,
    /// Its tax rates.
    pub tax_rate_ids: Vec<Uuid>,
    /// Quantity × unit price, rounded.
    pub amount: i64,
    /// Its discount and its share of the invoice's.
    pub discount_amount: i64,
    /// Without tax.
    pub net: i64,
    /// Its taxes.
    pub tax: i64,
    /// With tax.
    pub total: i64,
}

/// A dunning reminder sent for an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReminderOut {
    /// Days from the due date of its step (negative: before it).
    pub step: i32,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// The addresses it went to; `null` when the customer has none.
    pub to: Option<String>,
    /// The late fee's invoice charged with it.
    pub late_fee_invoice_id: Option<Uuid>,
}

/// One rate of the tax summary, as it was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TaxOut {
    /// The rate.
    pub tax_rate_id: Uuid,
    /// Its name then.
    pub name: String,
    /// Its percentage.
    pub percent: Decimal4,
    /// Inclusive.
    pub inclusive: bool,
    /// Compound.
    pub compound: bool,
    /// The net amount it applied to.
    pub base: i64,
    /// The tax.
    pub amount: i64,
}

/// An invoice as the API shows it. Amounts are integers in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvoiceOut {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// `INV-2026-000042`; none while a draft.
    pub number: Option<String>,
    /// Lifecycle status.
    pub status: InvoiceStatus,
    /// The customer billed.
    pub customer_id: Uuid,
    /// ISO 4217.
    pub currency: String,
    /// The lines, in order (left out of lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<LineOut>>,
    /// The tax summary per rate (left out of lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxes: Option<Vec<TaxOut>>,
    /// The dunning reminders sent, oldest first (left out of lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminders: Option<Vec<ReminderOut>>,
    /// Open with an amount due and past its due date in the organization's time zone.
    pub overdue: bool,
    /// The invoice's own discount, as sent.
    pub discount: Option<DiscountIn>,
    /// Σ line amounts.
    pub subtotal: i64,
    /// Σ discounts.
    pub discount_total: i64,
    /// Σ nets.
    pub net_total: i64,
    /// Σ taxes.
    pub tax_total: i64,
    /// What the invoice is for.
    pub total: i64,
    /// Paid so far.
    pub amount_paid: i64,
    /// Left to pay.
    pub amount_due: i64,
    /// Taken back by credit notes.
    pub amount_credited: i64,
    /// Rounding mode used.
    pub rounding_mode: String,
    /// Rounding level used.
    pub rounding_level: String,
    /// Days from finalizing to due.
    pub payment_terms_days: i32,
    /// The note to the customer.
    pub memo: Option<String>,
    /// The footer.
    pub footer: Option<String>,
    /// The day it was finalized, in the organization's time zone.
    pub issued_on: Option<NaiveDate>,
    /// The day it is due.
    pub due_on: Option<NaiveDate>,
    /// When it was finalized.
    pub finalized_at: Option<DateTime<Utc>>,
    /// When it was paid, voided or written off.
    pub closed_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version (the `ETag`).
    pub version: i32,
}

impl InvoiceOut {
    /// With `overdue` set as of `today` in the organization's time zone.
    #[must_use]
    pub fn as_of(mut self, today: NaiveDate) -> Self {
        self.overdue = self.status == InvoiceStatus::Open
            && self.amount_due > 0
            && self.due_on.is_some_and(|due_on| due_on < today);
        self
    }

    fn summary(row: invoice::Model) -> Self {
        Self {
            id: row.id,
            number: row.number,
            status: InvoiceStatus::parse(&row.status).unwrap_or(InvoiceStatus::Draft),
            customer_id: row.customer_id,
            currency: row.currency,
            lines: None,
            taxes: None,
            reminders: None,
            overdue: false,
            discount: DiscountIn::from_stored(row.discount_percent, row.discount_amount),
            subtotal: row.subtotal,
            discount_total: row.discount_total,
            net_total: row.net_total,
            tax_total: row.tax_total,
            total: row.total,
            amount_paid: row.amount_paid,
            amount_due: row.amount_due,
            amount_credited: row.amount_credited,
            rounding_mode: row.rounding_mode,
            rounding_level: row.rounding_level,
            payment_terms_days: row.payment_terms_days,
            memo: row.memo,
            footer: row.footer,
            issued_on: row.issued_on,
            due_on: row.due_on,
            finalized_at: row.finalized_at,
            closed_at: row.closed_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

impl From<invoice_line::Model> for LineOut {
    fn from(row: invoice_line::Model) -> Self {
        Self {
            id: row.id,
            price_id: row.price_id,
            description: row.description,
            quantity: Decimal4::from_ten_thousandths(row.quantity),
            unit_amount: row.unit_amount,
            discount: DiscountIn::from_stored(row.discount_percent, row.discount_amount),
            tax_rate_ids: serde_json::from_str(&row.tax_rate_ids).unwrap_or_default(),
            amount: row.amount,
            discount_amount: row.discount,
            net: row.net,
            tax: row.tax,
            total: row.total,
        }
    }
}

/// The stored lines of an invoice, in order.
pub(crate) async fn lines_of(
    db: &impl ConnectionTrait,
    invoice_id: Uuid,
) -> Result<Vec<invoice_line::Model>, DbErr> {
    invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await
}

/// An invoice of the organization with its lines and taxes, `None` when it is not there.
///
/// # Errors
/// Database errors.
pub async fn invoice_detail(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<InvoiceOut>, DbErr> {
    let Some(row) = invoice::Entity::find_by_id(id)
        .filter(invoice::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let lines = lines_of(db, id).await?.into_iter().map(LineOut::from).collect();
    let taxes = invoice_tax::Entity::find()
        .filter(invoice_tax::Column::InvoiceId.eq(id))
        .order_by_asc(invoice_tax::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|tax| TaxOut {
            tax_rate_id: tax.tax_rate_id,
            name: tax.name,
            percent: Decimal4::from_ten_thousandths(tax.percent),
            inclusive: tax.inclusive,
            compound: tax.compound,
            base: tax.base,
            amount: tax.amount,
        })
        .collect();
    let reminders = dunning_send::Entity::find()
        .filter(dunning_send::Column::InvoiceId.eq(id))
        .order_by_asc(dunning_send::Column::SentAt)
        .order_by_asc(dunning_send::Column::Step)
        .all(db)
        .await?
        .into_iter()
        .map(|sent| ReminderOut {
            step: sent.step,
            sent_at: sent.sent_at,
            to: sent.email_to,
            late_fee_invoice_id: sent.late_fee_invoice_id,
        })
        .collect();
    Ok(Some(InvoiceOut {
        lines: Some(lines),
        taxes: Some(taxes),
        reminders: Some(reminders),
        ..InvoiceOut::summary(row)
    }))
}

/// Filters of the invoice list.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// Only these statuses.
    pub status: Option<InvoiceStatus>,
    /// Only this customer's.
    pub customer_id: Option<Uuid>,
    /// As of this day (the organization's today), only the overdue invoices (`true`) or
    /// only the others (`false`).
    pub overdue: Option<(NaiveDate, bool)>,
}

/// A page of the organization's invoices, newest first.
///
/// # Errors
/// Database errors.
pub async fn invoice_list(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    filter: &InvoiceFilter,
    paging: &Paging,
) -> Result<Page<InvoiceOut>, DbErr> {
    let mut query = filtered(organization_id, filter);
    if let Some(after) = &paging.after {
        query = query.filter(invoice::Column::Id.lt(after.id));
    }
    let rows = query.order_by_desc(invoice::Column::Id).limit(paging.fetch()).all(db).await?;
    Ok(paging.page(rows, SORT, |last| (serde_json::Value::Null, last.id), InvoiceOut::summary))
}

/// How many of the organization's invoices match `filter`, counted up to `bound`.
///
/// # Errors
/// Database errors.
pub async fn invoice_count(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    filter: &InvoiceFilter,
    bound: u64,
) -> Result<BoundedCount, DbErr> {
    let found = filtered(organization_id, filter)
        .select_only()
        .column(invoice::Column::Id)
        .limit(BoundedCount::fetch(bound))
        .count(db)
        .await?;
    Ok(BoundedCount::of(found, bound))
}

/// The numbers of the organization's invoices `ids` (`None` for a draft), in one query.
///
/// # Errors
/// Database errors.
pub async fn invoice_numbers(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Option<String>>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, Option<String>)> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Id)
        .column(invoice::Column::Number)
        .filter(invoice::Column::OrganizationId.eq(organization_id))
        .filter(invoice::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The organization's invoices that match `filter`, unordered.
fn filtered(organization_id: Uuid, filter: &InvoiceFilter) -> sea_orm::Select<invoice::Entity> {
    let mut query = invoice::Entity::find().filter(invoice::Column::OrganizationId.eq(organization_id));
    if let Some(status) = filter.status {
        query = query.filter(invoice::Column::Status.eq(status.as_str()));
    }
    if let Some(customer_id) = filter.customer_id {
        query = query.filter(invoice::Column::CustomerId.eq(customer_id));
    }
    if let Some((today, wanted)) = filter.overdue {
        let overdue = sea_orm::Condition::all()
            .add(invoice::Column::Status.eq(InvoiceStatus::Open.as_str()))
            .add(invoice::Column::AmountDue.gt(0))
            .add(invoice::Column::DueOn.lt(today));
        query = query.filter(if wanted { overdue } else { overdue.not() });
    }
    query
}

/// The invoice, or 404 — for services, inside their transaction.
pub(crate) async fn invoice_row(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<invoice::Model, ApiError> {
    invoice::Entity::find_by_id(id)
        .filter(invoice::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `CAST(SUM(column) AS BIGINT)`: PostgreSQL sums a `BIGINT` as `NUMERIC`, SQLite as an
/// integer; both read back as `i64` this way (`NULL` for no rows).
pub(crate) fn sum_of(column: impl sea_orm::sea_query::IntoColumnRef) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::cast_as(
        sea_orm::sea_query::Func::sum(sea_orm::sea_query::Expr::col(column)),
        sea_orm::sea_query::Alias::new("BIGINT"),
    ))
}

/// How many tax ids the stored lines carry, for a quick map from id to rate.
pub(crate) fn index_by_id<T>(rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> HashMap<Uuid, T> {
    rows.into_iter().map(|row| (id(&row), row)).collect()
}

pub mod catalog;
pub mod credit_note;
pub mod payment;
pub mod report;
pub mod statement;
pub mod subscription;
