//! Reads of payments and of what customers owe.

use baseops_core::{Page, Paging};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{ledger_entry, payment, payment_allocation};
use crate::service::payment::AllocationIn;

/// The order cursors of the payment list are made for.
pub const SORT: &str = "-created";

/// A payment as the API shows it; amounts in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentOut {
    /// Id.
    pub id: Uuid,
    /// Who paid.
    pub customer_id: Uuid,
    /// ISO 4217.
    pub currency: String,
    /// Received.
    pub amount: i64,
    /// What paid no invoice: the customer's credit.
    pub unapplied: i64,
    /// `bank_transfer`, `cash`, `card`, `check`, `other`.
    pub method: String,
    /// The reference given.
    pub reference: Option<String>,
    /// When it arrived.
    pub received_on: NaiveDate,
    /// What it paid of which invoice (left out of lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocations: Option<Vec<AllocationIn>>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

impl From<payment::Model> for PaymentOut {
    fn from(row: payment::Model) -> Self {
        Self {
            id: row.id,
            customer_id: row.customer_id,
            currency: row.currency,
            amount: row.amount,
            unapplied: row.unapplied,
            method: row.method,
            reference: row.reference,
            received_on: row.received_on,
            allocations: None,
            created_at: row.created_at,
        }
    }
}

/// A payment of the organization with its allocations, `None` when it is not there.
///
/// # Errors
/// Database errors.
pub async fn payment_detail(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<PaymentOut>, DbErr> {
    let Some(row) = payment::Entity::find_by_id(id)
        .filter(payment::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let allocations = payment_allocation::Entity::find()
        .filter(payment_allocation::Column::PaymentId.eq(id))
        .order_by_asc(payment_allocation::Column::InvoiceId)
        .all(db)
        .await?
        .into_iter()
        .map(|allocation| AllocationIn { invoice_id: allocation.invoice_id, amount: allocation.amount })
        .collect();
    Ok(Some(PaymentOut { allocations: Some(allocations), ..PaymentOut::from(row) }))
}

/// A page of the organization's payments, newest first, maybe one customer's.
///
/// # Errors
/// Database errors.
pub async fn payment_list(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    customer_id: Option<Uuid>,
    paging: &Paging,
) -> Result<Page<PaymentOut>, DbErr> {
    let mut query = payment::Entity::find().filter(payment::Column::OrganizationId.eq(organization_id));
    if let Some(customer_id) = customer_id {
        query = query.filter(payment::Column::CustomerId.eq(customer_id));
    }
    if let Some(after) = &paging.after {
        query = query.filter(payment::Column::Id.lt(after.id));
    }
    let rows = query.order_by_desc(payment::Column::Id).limit(paging.fetch()).all(db).await?;
    Ok(paging.page(rows, SORT, |last| (serde_json::Value::Null, last.id), PaymentOut::from))
}

/// What a customer owes in one currency, from the ledger: positive is owed, negative is
/// their credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BalanceOut {
    /// ISO 4217.
    pub currency: String,
    /// Minor units.
    pub balance: i64,
}

/// A customer's balance per currency, summed from the ledger.
///
/// # Errors
/// Database errors.
pub async fn customer_balances(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    customer_id: Uuid,
) -> Result<Vec<BalanceOut>, DbErr> {
    let rows: Vec<(String, i64)> = ledger_entry::Entity::find()
        .select_only()
        .column(ledger_entry::Column::Currency)
        .column_as(super::sum_of(ledger_entry::Column::Amount), "balance")
        .filter(ledger_entry::Column::OrganizationId.eq(organization_id))
        .filter(ledger_entry::Column::CustomerId.eq(customer_id))
        .group_by(ledger_entry::Column::Currency)
        .order_by_asc(ledger_entry::Column::Currency)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(currency, balance)| BalanceOut { currency, balance }).collect())
}
