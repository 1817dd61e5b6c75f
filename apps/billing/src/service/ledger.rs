//! The ledger: one append-only row per money movement of a customer, positive when it raises
//! what they owe. Balances and receivables are sums over it; nothing here is ever updated.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use crate::model::{invoice, ledger_entry};

/// What moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// An invoice was finalized: its total is owed.
    InvoiceIssued,
    /// An invoice was voided: what was left of it is no longer owed.
    InvoiceVoided,
    /// An invoice was written off as uncollectible.
    InvoiceWrittenOff,
    /// Part of a payment paid an invoice.
    PaymentApplied,
    /// Part of a payment paid no invoice: the customer's credit.
    PaymentUnapplied,
    /// A credit note took back what an invoice still asked for.
    CreditNoteReducedDue,
    /// A credit note took back what was paid, as the customer's credit.
    CreditNoteToBalance,
    /// A credit note took back what was paid, and it was paid back.
    CreditNoteRefunded,
    /// Money paid back to the customer.
    Refund,
    /// A payment of a written-off invoice: what was written off is owed again, and paid.
    WriteOffRecovered,
    /// The customer's credit paid part of an invoice (its side of the invoice).
    CreditApplied,
    /// The customer's credit paid part of an invoice (its side of the credit).
    CreditUsed,
    /// A refund took back what a payment had paid of an invoice: it is owed again.
    PaymentReversed,
}

impl EntryKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvoiceIssued => "invoice_issued",
            Self::InvoiceVoided => "invoice_voided",
            Self::InvoiceWrittenOff => "invoice_written_off",
            Self::PaymentApplied => "payment_applied",
            Self::PaymentUnapplied => "payment_unapplied",
            Self::CreditNoteReducedDue => "credit_note_reduced_due",
            Self::CreditNoteToBalance => "credit_note_to_balance",
            Self::CreditNoteRefunded => "credit_note_refunded",
            Self::Refund => "refund",
            Self::WriteOffRecovered => "write_off_recovered",
            Self::CreditApplied => "credit_applied",
            Self::CreditUsed => "credit_used",
            Self::PaymentReversed => "payment_reversed",
        }
    }
}

/// Appends `amount` (minor units, + owed) of `kind` for `invoice`'s customer.
///
/// # Errors
/// Database errors.
pub(crate) async fn post(
    txn: &impl ConnectionTrait,
    invoice: &invoice::Model,
    kind: EntryKind,
    amount: i64,
) -> Result<(), DbErr> {
    let whose = Whose {
        organization_id: invoice.organization_id,
        customer_id: invoice.customer_id,
        currency: &invoice.currency,
    };
    post_for(txn, whose, Some(invoice.id), kind, amount).await
}

/// Whose money moved, and in which currency.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Whose<'a> {
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    pub currency: &'a str,
}

/// Appends `amount` of `kind` for a customer, about `invoice_id` if any.
///
/// # Errors
/// Database errors.
pub(crate) async fn post_for(
    txn: &impl ConnectionTrait,
    whose: Whose<'_>,
    invoice_id: Option<Uuid>,
    kind: EntryKind,
    amount: i64,
) -> Result<(), DbErr> {
    let row = ledger_entry::Model {
        id: Uuid::now_v7(),
        organization_id: whose.organization_id,
        customer_id: whose.customer_id,
        currency: whose.currency.to_owned(),
        kind: kind.as_str().to_owned(),
        invoice_id,
        amount,
        created_at: Utc::now(),
    };
    ledger_entry::Entity::insert(row.into_active_model()).exec_without_returning(txn).await.map(|_| ())
}
