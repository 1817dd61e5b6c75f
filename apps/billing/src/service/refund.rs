//! Refunds: money of a payment paid back to the customer, in full or in part, once per
//! `Idempotency-Key`. What the payment left as the customer's credit is paid back first; the
//! rest is taken back from the invoices it paid, newest first, which then owe it again (an
//! invoice paid in full is open once more). To take back what was billed as well, issue a
//! credit note with `paid_part: refund` instead.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors};
use baseops_idempotency::{Claim, claim};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::credit::{credit_available, credit_take};
use super::ledger::{EntryKind, Whose, post, post_for};
use super::payment::Idempotency;
use crate::event::PaymentRefunded;
use crate::model::{invoice, payment, payment_allocation, refund};
use crate::status::InvoiceStatus;

/// The endpoint name idempotency keys of refunds are scoped to.
pub const REFUND_ENDPOINT: &str = "billing.payments.refund";

/// A refund to make.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRefund {
    /// Minor units, more than 0 and at most what is left of the payment (amount − refunded).
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub amount: i64,
    /// Why, up to 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

fn conflict(what: &str) -> ApiError {
    ApiError::Conflict {
        code: "payment_changed",
        detail: format!("The {what} changed while the refund was made; try again."),
    }
}

/// Refunds part or all of a payment. Returns the refund's id (the first one's on a retry).
///
/// # Errors
/// 404; 422 `amount` above what is left of the payment or above what can still be taken
/// back (credit the customer spent, invoices since voided or written off); 409
/// `payment_changed` when a concurrent change got there first; 422 `idempotency_key_reused`.
pub async fn payment_refund(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    payment_id: Uuid,
    idempotency: Idempotency<'_>,
    new: NewRefund,
) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    let principal = acting.actor.user_id().map(|user| user.to_string()).unwrap_or_default();
    let Idempotency { key, request_hash } = idempotency;
    if let Claim::Replay(existing) =
        claim(txn, organization_id, &principal, REFUND_ENDPOINT, key, request_hash, id).await?
    {
        return Ok(existing);
    }
    let paid = payment::Entity::find_by_id(payment_id)
        .filter(payment::Column::OrganizationId.eq(organization_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut errors = FieldErrors::new();
    let left = paid.amount - paid.refunded;
    if new.amount <= 0 || new.amount > left {
        errors.add("amount", format!("must be more than 0 and at most {left} (what is left of the payment)"));
    }
    let reason = new.reason.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty());
    if reason.as_ref().is_some_and(|text| text.chars().count() > 200 || text.chars().any(char::is_control)) {
        errors.add("reason", "must be at most 200 printable characters");
    }
    errors.into_result()?;
    let whose = Whose { organization_id, customer_id: paid.customer_id, currency: &paid.currency };
    let credit = credit_available(txn, whose).await?;
    let from_credit = Ord::min(Ord::min(new.amount, paid.unapplied), credit);
    let takes = take_back(txn, payment_id, new.amount - from_credit).await?;
    let taken: i64 = takes.iter().map(|(_, amount)| amount).sum();
    if from_credit + taken < new.amount {
        let most = from_credit + taken;
        let mut errors = FieldErrors::new();
        errors.add(
            "amount",
            format!(
                "at most {most} can be refunded: the rest paid invoices since voided or written off, \
                 or became credit the customer has spent"
            ),
        );
        errors.into_result()?;
    }
    let updated = payment::Entity::update_many()
        .col_expr(payment::Column::Refunded, Expr::col(payment::Column::Refunded).add(new.amount))
        .col_expr(payment::Column::Unapplied, Expr::col(payment::Column::Unapplied).sub(from_credit))
        .filter(payment::Column::Id.eq(payment_id))
        .filter(payment::Column::Refunded.eq(paid.refunded))
        .filter(payment::Column::Unapplied.eq(paid.unapplied))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(conflict("payment"));
    }
    if from_credit > 0 {
        if !credit_take(txn, whose, from_credit).await? {
            return Err(conflict("customer's credit"));
        }
        post_for(txn, whose, None, EntryKind::Refund, from_credit).await?;
    }
    for (invoice, amount) in &takes {
        reverse(txn, acting, payment_id, invoice, *amount).await?;
    }
    let row = refund::Model {
        id,
        organization_id,
        payment_id,
        customer_id: paid.customer_id,
        currency: paid.currency.clone(),
        amount: new.amount,
        from_credit,
        reason,
        created_by: acting.actor.user_id(),
        created_at: Utc::now(),
    };
    refund::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    let changes = Changes::new().set("refunded", paid.refunded, paid.refunded + new.amount).set(
        "refund",
        serde_json::Value::Null,
        serde_json::json!({
            "id": id, "amount": new.amount, "from_credit": from_credit, "reason": row.reason,
            "invoices": takes.iter().map(|(invoice, amount)| serde_json::json!({"invoice_id": invoice.id, "amount": amount})).collect::<Vec<_>>(),
        }),
    );
    let entry = AuditEntry::new(acting, Some(organization_id), "payment.refund", "payment", payment_id);
    record(txn, entry.changes(changes)).await?;
    let event = PaymentRefunded {
        payment_id,
        refund_id: id,
        customer_id: paid.customer_id,
        currency: paid.currency,
        amount: new.amount,
    };
    baseops_jobs::emit(txn, acting, Some(organization_id), &event).await?;
    Ok(id)
}

/// What can be taken back of `amount` from the invoices the payment paid, newest first:
/// only from invoices still open or paid (a voided or written-off one is settled otherwise).
async fn take_back(
    txn: &impl ConnectionTrait,
    payment_id: Uuid,
    amount: i64,
) -> Result<Vec<(invoice::Model, i64)>, ApiError> {
    if amount == 0 {
        return Ok(Vec::new());
    }
    let allocations = payment_allocation::Entity::find()
        .filter(payment_allocation::Column::PaymentId.eq(payment_id))
        .all(txn)
        .await?;
    let ids: Vec<Uuid> = allocations.iter().map(|allocation| allocation.invoice_id).collect();
    let invoices = invoice::Entity::find()
        .filter(invoice::Column::Id.is_in(ids))
        .filter(invoice::Column::Status.is_in([InvoiceStatus::Open.as_str(), InvoiceStatus::Paid.as_str()]))
        .order_by_desc(invoice::Column::Id)
        .all(txn)
        .await?;
    let mut left = amount;
    let mut takes = Vec::new();
    for invoice in invoices {
        let Some(allocation) = allocations.iter().find(|allocation| allocation.invoice_id == invoice.id)
        else {
            continue;
        };
        let take = Ord::min(Ord::min(left, allocation.amount), invoice.amount_paid);
        if take > 0 {
            left -= take;
            takes.push((invoice, take));
        }
        if left == 0 {
            break;
        }
    }
    Ok(takes)
}

/// Takes `amount` of what the payment paid of `invoice` back: the invoice owes it again.
async fn reverse(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    payment_id: Uuid,
    invoice: &invoice::Model,
    amount: i64,
) -> Result<(), ApiError> {
    let allocation = || {
        payment_allocation::Entity::find()
            .filter(payment_allocation::Column::PaymentId.eq(payment_id))
            .filter(payment_allocation::Column::InvoiceId.eq(invoice.id))
    };
    let updated = payment_allocation::Entity::update_many()
        .col_expr(
            payment_allocation::Column::Amount,
            Expr::col(payment_allocation::Column::Amount).sub(amount),
        )
        .filter(payment_allocation::Column::PaymentId.eq(payment_id))
        .filter(payment_allocation::Column::InvoiceId.eq(invoice.id))
        .filter(payment_allocation::Column::Amount.gte(amount))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(conflict("payment"));
    }
    if let Some(emptied) = allocation().filter(payment_allocation::Column::Amount.eq(0)).one(txn).await? {
        payment_allocation::Entity::delete_many()
            .filter(payment_allocation::Column::PaymentId.eq(emptied.payment_id))
            .filter(payment_allocation::Column::InvoiceId.eq(emptied.invoice_id))
            .exec(txn)
            .await?;
    }
    let open = InvoiceStatus::Open.as_str();
    let reopened = invoice::Entity::update_many()
        .col_expr(invoice::Column::AmountPaid, Expr::col(invoice::Column::AmountPaid).sub(amount))
        .col_expr(invoice::Column::AmountDue, Expr::col(invoice::Column::AmountDue).add(amount))
        .col_expr(invoice::Column::Status, Expr::value(open))
        .col_expr(invoice::Column::ClosedAt, Expr::value(Option::<chrono::DateTime<Utc>>::None))
        .col_expr(invoice::Column::Version, Expr::col(invoice::Column::Version).add(1))
        .col_expr(invoice::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(invoice::Column::Id.eq(invoice.id))
        .filter(invoice::Column::AmountPaid.gte(amount))
        .filter(invoice::Column::Status.is_in([open, InvoiceStatus::Paid.as_str()]))
        .exec(txn)
        .await?;
    if reopened.rows_affected == 0 {
        return Err(conflict("invoice"));
    }
    post(txn, invoice, EntryKind::PaymentReversed, amount).await?;
    let mut changes = Changes::new().set("amount_due", invoice.amount_due, invoice.amount_due + amount);
    if invoice.status != open {
        changes = changes.set("status", &invoice.status, open);
    }
    let entry = AuditEntry::new(
        acting,
        Some(invoice.organization_id),
        "invoice.payment_reversed",
        "invoice",
        invoice.id,
    );
    record(txn, entry.changes(changes)).await?;
    Ok(())
}
