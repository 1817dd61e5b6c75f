//! Credit notes: part or all of a finalized invoice taken back, numbered in their own
//! gap-free series. What the invoice still asked for is reduced first; what was already paid
//! goes to the customer's credit balance or is paid back, as the request says. Never more
//! than was invoiced: the invoice's `amount_credited` only grows by a conditional update.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, Money};
use baseops_idempotency::{Claim, claim};
use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::credit::credit_add;
use super::ledger::{EntryKind, Whose, post};
use super::numbering::{format_number, next_number};
use super::payment::Idempotency;
use crate::event::{CreditNoteIssued, InvoicePaid};
use crate::input::check_note;
use crate::model::{credit_note, invoice};
use crate::selector::invoice_row;
use crate::status::InvoiceStatus;

/// The endpoint name idempotency keys of credit notes are scoped to.
pub const ISSUE_ENDPOINT: &str = "billing.credit_notes.issue";
/// The series credit note numbers come from, and their prefix.
pub const CREDIT_NOTE_SERIES: &str = "credit_note";
/// Credit note numbers read `CN-2026-000001`.
pub const CREDIT_NOTE_PREFIX: &str = "CN";

/// Why an invoice is credited (Stripe's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CreditReason {
    /// Billed twice.
    Duplicate,
    /// Not a genuine purchase.
    Fraudulent,
    /// The order changed.
    OrderChange,
    /// The customer was not satisfied.
    ProductUnsatisfactory,
    /// Anything else (say it in the memo).
    Other,
}

impl CreditReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::Fraudulent => "fraudulent",
            Self::OrderChange => "order_change",
            Self::ProductUnsatisfactory => "product_unsatisfactory",
            Self::Other => "other",
        }
    }
}

/// Where what was already paid goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaidPart {
    /// The customer's credit balance.
    #[default]
    CreditBalance,
    /// Paid back to the customer (outside baseops, or by a gateway's refund).
    Refund,
}

/// A credit note to issue against an invoice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCreditNote {
    /// Minor units, more than 0 and at most what is left to credit (total − credited).
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub amount: i64,
    /// Why.
    pub reason: CreditReason,
    /// Where the part already paid goes (default: the customer's credit balance).
    #[serde(default)]
    pub paid_part: PaidPart,
    /// A note, up to 5,000 characters.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub memo: Option<String>,
}

/// Issues a credit note against an open, paid or uncollectible invoice, once per
/// `Idempotency-Key`. Returns its id.
///
/// # Errors
/// 404; 409 `invalid_transition` for a draft or void invoice; 422 `amount` above what is
/// left to credit; 422 `idempotency_key_reused`.
pub async fn credit_note_issue(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    invoice_id: Uuid,
    today: NaiveDate,
    idempotency: Idempotency<'_>,
    new: NewCreditNote,
) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    let principal = acting.actor.user_id().map(|user| user.to_string()).unwrap_or_default();
    let Idempotency { key, request_hash } = idempotency;
    if let Claim::Replay(existing) =
        claim(txn, organization_id, &principal, ISSUE_ENDPOINT, key, request_hash, id).await?
    {
        return Ok(existing);
    }
    // What the request says on its own is checked first: a malformed body is a 422 whatever
    // the invoice's state.
    let mut errors = FieldErrors::new();
    if !(1..=Money::MAX_AMOUNT).contains(&new.amount) {
        errors.add("amount", "must be more than 0 and at most 10^15 minor units");
    }
    let memo = check_note("memo", new.memo, &mut errors);
    errors.into_result()?;
    let before = invoice_row(txn, organization_id, invoice_id).await?;
    let status = InvoiceStatus::parse(&before.status).unwrap_or(InvoiceStatus::Draft);
    if matches!(status, InvoiceStatus::Draft | InvoiceStatus::Void) {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            detail: format!("A {} invoice cannot be credited.", status.as_str()),
        });
    }
    let left = before.total - before.amount_credited;
    if new.amount > left {
        return Err(ApiError::invalid(
            "amount",
            format!("must be more than 0 and at most {left} (what is left to credit)"),
        ));
    }
    let reduced_due = Ord::min(new.amount, before.amount_due);
    let paid_back = new.amount - reduced_due;
    let updated = invoice::Entity::update_many()
        .col_expr(invoice::Column::AmountCredited, Expr::col(invoice::Column::AmountCredited).add(new.amount))
        .col_expr(invoice::Column::AmountDue, Expr::col(invoice::Column::AmountDue).sub(reduced_due))
        .col_expr(invoice::Column::Version, Expr::col(invoice::Column::Version).add(1))
        .col_expr(invoice::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(invoice::Column::Id.eq(invoice_id))
        .filter(invoice::Column::AmountCredited.eq(before.amount_credited))
        .filter(invoice::Column::AmountDue.eq(before.amount_due))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::Conflict {
            code: "invoice_changed",
            detail: "The invoice changed while the credit note was issued; try again.".to_owned(),
        });
    }
    let year = today.year();
    let number = format_number(
        CREDIT_NOTE_PREFIX,
        year,
        next_number(txn, organization_id, CREDIT_NOTE_SERIES, year).await?,
    );
    let (to_balance, refunded) = match new.paid_part {
        PaidPart::CreditBalance => (paid_back, 0),
        PaidPart::Refund => (0, paid_back),
    };
    let row = credit_note::Model {
        id,
        organization_id,
        invoice_id,
        customer_id: before.customer_id,
        number: number.clone(),
        currency: before.currency.clone(),
        amount: new.amount,
        reduced_due,
        to_balance,
        refunded,
        reason: new.reason.as_str().to_owned(),
        memo,
        created_by: acting.actor.user_id(),
        created_at: Utc::now(),
    };
    credit_note::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    if reduced_due > 0 {
        // A written-off invoice's due is out of the ledger already: put it back, then take it
        // off as credited, so every invoice's ledger adds up the same way.
        if status == InvoiceStatus::Uncollectible {
            post(txn, &before, EntryKind::WriteOffRecovered, reduced_due).await?;
        }
        post(txn, &before, EntryKind::CreditNoteReducedDue, -reduced_due).await?;
    }
    if to_balance > 0 {
        post(txn, &before, EntryKind::CreditNoteToBalance, -to_balance).await?;
        let whose = Whose { organization_id, customer_id: before.customer_id, currency: &before.currency };
        credit_add(txn, whose, to_balance).await?;
    }
    if refunded > 0 {
        post(txn, &before, EntryKind::CreditNoteRefunded, -refunded).await?;
        post(txn, &before, EntryKind::Refund, refunded).await?;
    }
    let changes = Changes::created(&serde_json::json!({
        "number": number, "invoice_id": invoice_id, "amount": new.amount, "reduced_due": reduced_due,
        "to_balance": to_balance, "refunded": refunded, "reason": row.reason,
    }));
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "credit_note.issue", "credit_note", id)
            .changes(changes),
    )
    .await?;
    if before.amount_due > 0 && before.amount_due == reduced_due && status == InvoiceStatus::Open {
        invoice::Entity::update_many()
            .col_expr(invoice::Column::Status, Expr::value(InvoiceStatus::Paid.as_str()))
            .col_expr(invoice::Column::ClosedAt, Expr::value(Utc::now()))
            .filter(invoice::Column::Id.eq(invoice_id))
            .exec(txn)
            .await?;
        let changes = Changes::new().set("status", "open", InvoiceStatus::Paid.as_str());
        record(
            txn,
            AuditEntry::new(acting, Some(organization_id), "invoice.pay", "invoice", invoice_id)
                .changes(changes),
        )
        .await?;
        let number = before.number.clone().unwrap_or_default();
        let paid = InvoicePaid { invoice_id, number, customer_id: before.customer_id };
        baseops_jobs::emit(txn, acting, Some(organization_id), &paid).await?;
    }
    let event = CreditNoteIssued {
        credit_note_id: id,
        number,
        invoice_id,
        customer_id: before.customer_id,
        amount: new.amount,
    };
    baseops_jobs::emit(txn, acting, Some(organization_id), &event).await?;
    Ok(id)
}
