//! Payments received from customers: one payment may pay several invoices, part of one, or
//! more than is owed (the rest is the customer's credit). Recording one needs an
//! `Idempotency-Key`, claimed in this transaction, so a retried request never records a
//! payment twice.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, Currency, FieldErrors, Money};
use baseops_idempotency::{Claim, claim};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::credit::credit_add;
use super::ledger::{EntryKind, Whose, post_for};
use crate::event::{InvoicePaid, PaymentRecorded};
use crate::model::{invoice, payment, payment_allocation};
use crate::status::InvoiceStatus;

/// The endpoint name idempotency keys of payments are scoped to.
pub const RECORD_ENDPOINT: &str = "billing.payments.record";
/// Most invoices one payment pays.
pub const MAX_ALLOCATIONS: usize = 100;

/// How the money came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// A bank transfer.
    BankTransfer,
    /// Cash.
    Cash,
    /// A card, outside a gateway.
    Card,
    /// A cheque.
    Check,
    /// Anything else.
    Other,
}

impl PaymentMethod {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BankTransfer => "bank_transfer",
            Self::Cash => "cash",
            Self::Card => "card",
            Self::Check => "check",
            Self::Other => "other",
        }
    }
}

/// What of the payment goes to one invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationIn {
    /// An open or uncollectible invoice of the customer, in the payment's currency.
    pub invoice_id: Uuid,
    /// Minor units, more than 0 and at most what the invoice still owes.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub amount: i64,
}

/// A payment to record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    /// Who paid.
    pub customer_id: Uuid,
    /// Minor units received, more than 0.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub amount: i64,
    /// ISO 4217; the organization's when left out.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "EUR")]
    pub currency: Option<Currency>,
    /// How it came.
    pub method: PaymentMethod,
    /// The bank's or the customer's reference, up to 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reference: Option<String>,
    /// When it arrived; today when left out.
    #[serde(default)]
    pub received_on: Option<NaiveDate>,
    /// Which invoices it pays (at most 100). Left out: the customer's oldest open invoices in
    /// the currency, in order, as far as it goes. The rest is the customer's credit.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub allocations: Option<Vec<AllocationIn>>,
}

/// The client's key with the hash of the body it came with.
#[derive(Debug, Clone, Copy)]
pub struct Idempotency<'a> {
    /// The key.
    pub key: &'a str,
    /// The body's hash.
    pub request_hash: [u8; 32],
}

/// Where the caller stands.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    /// Who records it.
    pub acting: Acting<'a>,
    /// In which organization.
    pub organization_id: Uuid,
    /// The organization's currency and today.
    pub default_currency: Currency,
    /// The organization's today.
    pub today: NaiveDate,
}

/// Records a payment: pays the allocated invoices (those paid in full become `paid`), puts
/// the rest on the customer's credit, and writes the ledger, audit and events. A retry with
/// the same key and body returns the first payment's id and records nothing.
///
/// # Errors
/// 422 by field (an invoice that is not the customer's, not open, in another currency, or
/// owes less than allocated; allocations above the amount), 422 `idempotency_key_reused`.
pub async fn payment_record(
    txn: &impl ConnectionTrait,
    at: Recording<'_>,
    idempotency: Idempotency<'_>,
    new: NewPayment,
) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    let principal = at.acting.actor.user_id().map(|user| user.to_string()).unwrap_or_default();
    let Idempotency { key, request_hash } = idempotency;
    if let Claim::Replay(existing) =
        claim(txn, at.organization_id, &principal, RECORD_ENDPOINT, key, request_hash, id).await?
    {
        return Ok(existing);
    }
    let currency = new.currency.unwrap_or(at.default_currency);
    let mut errors = FieldErrors::new();
    if Money::new(new.amount, currency).is_err() || new.amount <= 0 {
        errors.add("amount", "must be more than 0 and at most 10^15 minor units");
    }
    let reference = new.reference.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty());
    if reference.as_ref().is_some_and(|text| text.chars().count() > 200 || text.chars().any(char::is_control))
    {
        errors.add("reference", "must be at most 200 printable characters");
    }
    if baseops_customers::customer_by_id(txn, at.organization_id, new.customer_id).await?.is_none() {
        errors.add("customer_id", "no such customer in this organization");
    }
    errors.into_result()?;
    let allocations = match new.allocations {
        Some(allocations) => {
            check_allocations(txn, &at, new.customer_id, currency, new.amount, allocations).await?
        }
        None => oldest_first(txn, &at, new.customer_id, currency, new.amount).await?,
    };
    let applied: i64 = allocations.iter().map(|(_, amount)| amount).sum();
    let row = payment::Model {
        id,
        organization_id: at.organization_id,
        customer_id: new.customer_id,
        currency: currency.code().to_owned(),
        amount: new.amount,
        unapplied: new.amount - applied,
        method: new.method.as_str().to_owned(),
        reference,
        received_on: new.received_on.unwrap_or(at.today),
        created_by: at.acting.actor.user_id(),
        created_at: Utc::now(),
        refunded: 0,
    };
    payment::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    let whose = Whose {
        organization_id: at.organization_id,
        customer_id: new.customer_id,
        currency: currency.code(),
    };
    for (invoice, amount) in &allocations {
        apply(txn, at.acting, id, invoice, *amount).await?;
        if invoice.status == InvoiceStatus::Uncollectible.as_str() {
            post_for(txn, whose, Some(invoice.id), EntryKind::WriteOffRecovered, *amount).await?;
        }
        post_for(txn, whose, Some(invoice.id), EntryKind::PaymentApplied, -amount).await?;
    }
    if row.unapplied > 0 {
        post_for(txn, whose, None, EntryKind::PaymentUnapplied, -row.unapplied).await?;
        credit_add(txn, whose, row.unapplied).await?;
    }
    let audited = serde_json::json!({
        "customer_id": row.customer_id, "currency": row.currency, "amount": row.amount,
        "unapplied": row.unapplied, "method": row.method, "reference": row.reference,
        "invoices": allocations.iter().map(|(invoice, amount)| serde_json::json!({"invoice_id": invoice.id, "amount": amount})).collect::<Vec<_>>(),
    });
    let entry = AuditEntry::new(at.acting, Some(at.organization_id), "payment.record", "payment", id);
    record(txn, entry.changes(Changes::created(&audited))).await?;
    let event = PaymentRecorded {
        payment_id: id,
        customer_id: row.customer_id,
        currency: row.currency,
        amount: row.amount,
    };
    baseops_jobs::emit(txn, at.acting, Some(at.organization_id), &event).await?;
    Ok(id)
}

/// The customer's payable invoices in `currency`.
fn payable(organization_id: Uuid, customer_id: Uuid, currency: Currency) -> sea_orm::Select<invoice::Entity> {
    let open = [InvoiceStatus::Open.as_str(), InvoiceStatus::Uncollectible.as_str()];
    invoice::Entity::find()
        .filter(invoice::Column::OrganizationId.eq(organization_id))
        .filter(invoice::Column::CustomerId.eq(customer_id))
        .filter(invoice::Column::Currency.eq(currency.code()))
        .filter(invoice::Column::Status.is_in(open))
        .filter(invoice::Column::AmountDue.gt(0))
}

async fn check_allocations(
    txn: &impl ConnectionTrait,
    at: &Recording<'_>,
    customer_id: Uuid,
    currency: Currency,
    amount: i64,
    allocations: Vec<AllocationIn>,
) -> Result<Vec<(invoice::Model, i64)>, ApiError> {
    let mut errors = FieldErrors::new();
    if allocations.len() > MAX_ALLOCATIONS {
        errors.add("allocations", format!("at most {MAX_ALLOCATIONS} invoices a payment"));
        return Err(errors.into_result().unwrap_err());
    }
    let ids: Vec<Uuid> = allocations.iter().map(|allocation| allocation.invoice_id).collect();
    let found = payable(at.organization_id, customer_id, currency)
        .filter(invoice::Column::Id.is_in(ids.iter().copied()))
        .all(txn)
        .await?;
    let mut total: i128 = 0;
    let mut chosen = Vec::with_capacity(allocations.len());
    for (index, allocation) in allocations.iter().enumerate() {
        let field = format!("allocations[{index}]");
        if ids[..index].contains(&allocation.invoice_id) {
            errors.add(format!("{field}.invoice_id"), "appears twice");
            continue;
        }
        let Some(invoice) = found.iter().find(|invoice| invoice.id == allocation.invoice_id) else {
            errors.add(
                format!("{field}.invoice_id"),
                format!("not an open invoice of this customer in {}", currency.code()),
            );
            continue;
        };
        if allocation.amount <= 0 || allocation.amount > invoice.amount_due {
            errors.add(
                format!("{field}.amount"),
                format!("must be more than 0 and at most {} (what it owes)", invoice.amount_due),
            );
            continue;
        }
        total += i128::from(allocation.amount);
        chosen.push((invoice.clone(), allocation.amount));
    }
    if total > i128::from(amount) {
        errors.add("allocations", "pay more than the payment's amount");
    }
    errors.into_result()?;
    Ok(chosen)
}

/// The customer's open invoices in the currency, oldest first, as far as `amount` goes.
async fn oldest_first(
    txn: &impl ConnectionTrait,
    at: &Recording<'_>,
    customer_id: Uuid,
    currency: Currency,
    amount: i64,
) -> Result<Vec<(invoice::Model, i64)>, ApiError> {
    let invoices = payable(at.organization_id, customer_id, currency)
        .order_by_asc(invoice::Column::Id)
        .limit(u64::try_from(MAX_ALLOCATIONS).unwrap_or(100))
        .all(txn)
        .await?;
    let mut left = amount;
    let mut chosen = Vec::new();
    for invoice in invoices {
        if left == 0 {
            break;
        }
        let paid = Ord::min(left, invoice.amount_due);
        left -= paid;
        chosen.push((invoice, paid));
    }
    Ok(chosen)
}

/// Records what the payment paid of `invoice`, and pays it.
async fn apply(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    payment_id: Uuid,
    invoice: &invoice::Model,
    amount: i64,
) -> Result<(), ApiError> {
    pay_invoice(txn, acting, invoice, amount).await?;
    payment_allocation::Entity::insert(
        payment_allocation::Model { payment_id, invoice_id: invoice.id, amount }.into_active_model(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Pays `amount` of `invoice` (by a payment or with credit): conditional on what it still
/// owes, so two payments racing for the same invoice cannot overpay it. Paid in full, it
/// becomes `paid`.
///
/// # Errors
/// 409 `invoice_changed` when it owes less than `amount` or is no longer payable.
pub(crate) async fn pay_invoice(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    invoice: &invoice::Model,
    amount: i64,
) -> Result<(), ApiError> {
    let updated = invoice::Entity::update_many()
        .col_expr(invoice::Column::AmountPaid, Expr::col(invoice::Column::AmountPaid).add(amount))
        .col_expr(invoice::Column::AmountDue, Expr::col(invoice::Column::AmountDue).sub(amount))
        .col_expr(invoice::Column::Version, Expr::col(invoice::Column::Version).add(1))
        .col_expr(invoice::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(invoice::Column::Id.eq(invoice.id))
        .filter(invoice::Column::AmountDue.gte(amount))
        .filter(
            invoice::Column::Status
                .is_in([InvoiceStatus::Open.as_str(), InvoiceStatus::Uncollectible.as_str()]),
        )
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::Conflict {
            code: "invoice_changed",
            detail: format!("Invoice {} changed meanwhile; try again.", invoice.id),
        });
    }
    // What it owes now, not what was read before: another payment may have paid part of it.
    let now_due = crate::selector::invoice_row(txn, invoice.organization_id, invoice.id).await?.amount_due;
    if now_due == 0 {
        invoice::Entity::update_many()
            .col_expr(invoice::Column::Status, Expr::value(InvoiceStatus::Paid.as_str()))
            .col_expr(invoice::Column::ClosedAt, Expr::value(Utc::now()))
            .filter(invoice::Column::Id.eq(invoice.id))
            .exec(txn)
            .await?;
        let changes = Changes::new().set("status", &invoice.status, InvoiceStatus::Paid.as_str());
        let entry =
            AuditEntry::new(acting, Some(invoice.organization_id), "invoice.pay", "invoice", invoice.id);
        record(txn, entry.changes(changes)).await?;
        let number = invoice.number.clone().unwrap_or_default();
        let event = InvoicePaid { invoice_id: invoice.id, number, customer_id: invoice.customer_id };
        baseops_jobs::emit(txn, acting, Some(invoice.organization_id), &event).await?;
    }
    Ok(())
}
