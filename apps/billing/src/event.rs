//! Events the billing app emits, for audit consumers, notifications and (later) webhooks.

use baseops_jobs::Event;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An invoice was finalized (`invoice.finalized`): numbered and due.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvoiceFinalized {
    /// The invoice.
    pub invoice_id: Uuid,
    /// Its number.
    pub number: String,
    /// The customer.
    pub customer_id: Uuid,
    /// ISO 4217.
    pub currency: String,
    /// Its total, in minor units.
    pub total: i64,
}

impl Event for InvoiceFinalized {
    const NAME: &'static str = "invoice.finalized";
}

/// An invoice was paid in full (`invoice.paid`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvoicePaid {
    /// The invoice.
    pub invoice_id: Uuid,
    /// Its number.
    pub number: String,
    /// The customer.
    pub customer_id: Uuid,
}

impl Event for InvoicePaid {
    const NAME: &'static str = "invoice.paid";
}

/// An invoice was voided (`invoice.voided`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvoiceVoided {
    /// The invoice.
    pub invoice_id: Uuid,
    /// Its number.
    pub number: String,
    /// The customer.
    pub customer_id: Uuid,
}

impl Event for InvoiceVoided {
    const NAME: &'static str = "invoice.voided";
}

/// A payment was recorded (`payment.recorded`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentRecorded {
    /// The payment.
    pub payment_id: Uuid,
    /// Who paid.
    pub customer_id: Uuid,
    /// ISO 4217.
    pub currency: String,
    /// Minor units received.
    pub amount: i64,
}

impl Event for PaymentRecorded {
    const NAME: &'static str = "payment.recorded";
}

/// Money of a payment was paid back (`payment.refunded`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentRefunded {
    /// The payment.
    pub payment_id: Uuid,
    /// The refund.
    pub refund_id: Uuid,
    /// Who is paid back.
    pub customer_id: Uuid,
    /// ISO 4217.
    pub currency: String,
    /// Minor units paid back.
    pub amount: i64,
}

impl Event for PaymentRefunded {
    const NAME: &'static str = "payment.refunded";
}

/// A subscription moved to its next period (`subscription.renewed`), invoiced unless paused.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionRenewed {
    /// The subscription.
    pub subscription_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The period's start.
    pub period_start: chrono::DateTime<chrono::Utc>,
    /// Its end.
    pub period_end: chrono::DateTime<chrono::Utc>,
    /// Its invoice; none while paused.
    pub invoice_id: Option<Uuid>,
}

impl Event for SubscriptionRenewed {
    const NAME: &'static str = "subscription.renewed";
}

/// A subscription ended (`subscription.canceled`), at once or with its period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionCanceled {
    /// The subscription.
    pub subscription_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
}

impl Event for SubscriptionCanceled {
    const NAME: &'static str = "subscription.canceled";
}

/// A credit note was issued (`credit_note.issued`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreditNoteIssued {
    /// The credit note.
    pub credit_note_id: Uuid,
    /// Its number.
    pub number: String,
    /// The invoice it credits.
    pub invoice_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// Minor units credited.
    pub amount: i64,
}

impl Event for CreditNoteIssued {
    const NAME: &'static str = "credit_note.issued";
}

/// What the billing app emits.
pub const EMITTED: &[&str] = &[
    InvoiceFinalized::NAME,
    InvoicePaid::NAME,
    InvoiceVoided::NAME,
    PaymentRecorded::NAME,
    PaymentRefunded::NAME,
    CreditNoteIssued::NAME,
    SubscriptionRenewed::NAME,
    SubscriptionCanceled::NAME,
];
