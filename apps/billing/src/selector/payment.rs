//! Reads of payments and of what customers owe.

use baseops_core::{Page, Paging};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{credit_balance, ledger_entry, payment, payment_allocation, refund};
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
    /// What paid no invoice: the customer's credit (less what of it was refunded).
    pub unapplied: i64,
    /// Paid back so far.
    pub refunded: i64,
    /// `bank_transfer`, `cash`, `card`, `check`, `other`.
    pub method: String,
    /// The reference given.
    pub reference: Option<String>,
    /// When it arrived.
    pub received_on: NaiveDate,
    /// What it paid of which invoice (left out of lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocations: Option<Vec<AllocationIn>>,
    /// Its refunds, oldest first (left out of lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunds: Option<Vec<RefundOut>>,
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
            refunded: row.refunded,
            method: row.method,
            reference: row.reference,
            received_on: row.received_on,
            allocations: None,
            refunds: None,
            created_at: row.created_at,
        }
    }
}

/// Money of a payment paid back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefundOut {
    /// Id.
    pub id: Uuid,
    /// The payment.
    pub payment_id: Uuid,
    /// Minor units paid back.
    pub amount: i64,
    /// Of which came off the customer's credit (the rest was taken back from invoices).
    pub from_credit: i64,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<refund::Model> for RefundOut {
    fn from(row: refund::Model) -> Self {
        Self {
            id: row.id,
            payment_id: row.payment_id,
            amount: row.amount,
            from_credit: row.from_credit,
            reason: row.reason,
            created_at: row.created_at,
        }
    }
}

/// A refund of the organization, `None` when it is not there.
///
/// # Errors
/// Database errors.
pub async fn refund_detail(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<RefundOut>, DbErr> {
    Ok(refund::Entity::find_by_id(id)
        .filter(refund::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .map(RefundOut::from))
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
    let refunds = refund::Entity::find()
        .filter(refund::Column::PaymentId.eq(id))
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(RefundOut::from)
        .collect();
    Ok(Some(PaymentOut { allocations: Some(allocations), refunds: Some(refunds), ..PaymentOut::from(row) }))
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
    /// Minor units: open invoices' due less the credit.
    pub balance: i64,
    /// The customer's unused credit, which can be applied to their invoices or refunded.
    pub credit: i64,
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
    let credits: Vec<(String, i64)> = credit_balance::Entity::find()
        .select_only()
        .column(credit_balance::Column::Currency)
        .column(credit_balance::Column::Balance)
        .filter(credit_balance::Column::OrganizationId.eq(organization_id))
        .filter(credit_balance::Column::CustomerId.eq(customer_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut balances: Vec<BalanceOut> = rows
        .into_iter()
        .map(|(currency, balance)| {
            let credit = credits.iter().find(|(code, _)| *code == currency).map_or(0, |(_, credit)| *credit);
            BalanceOut { currency, balance, credit }
        })
        .collect();
    for (currency, credit) in credits {
        if !balances.iter().any(|balance| balance.currency == currency) {
            balances.push(BalanceOut { currency, balance: 0, credit });
        }
    }
    balances.sort_by(|a, b| a.currency.cmp(&b.currency));
    Ok(balances)
}
