//! The ledger: one append-only row per money movement of a customer, positive when it raises
//! what they owe. Balances and receivables are sums over it; nothing here is ever updated.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use crate::model::{invoice, ledger_entry};

/// What moved.
// Payments, refunds and credit notes join these kinds; the shared prefix is temporary.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// An invoice was finalized: its total is owed.
    InvoiceIssued,
    /// An invoice was voided: what was left of it is no longer owed.
    InvoiceVoided,
    /// An invoice was written off as uncollectible.
    InvoiceWrittenOff,
}

impl EntryKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvoiceIssued => "invoice_issued",
            Self::InvoiceVoided => "invoice_voided",
            Self::InvoiceWrittenOff => "invoice_written_off",
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
    let row = ledger_entry::Model {
        id: Uuid::now_v7(),
        organization_id: invoice.organization_id,
        customer_id: invoice.customer_id,
        currency: invoice.currency.clone(),
        kind: kind.as_str().to_owned(),
        invoice_id: Some(invoice.id),
        amount,
        created_at: Utc::now(),
    };
    ledger_entry::Entity::insert(row.into_active_model()).exec_without_returning(txn).await.map(|_| ())
}
