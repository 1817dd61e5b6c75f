//! Reads of credit notes.

use baseops_core::{Page, Paging};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::credit_note;

/// The order cursors of the credit note list are made for.
pub const SORT: &str = "-created";

/// A credit note as the API shows it; amounts in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CreditNoteOut {
    /// Id.
    pub id: Uuid,
    /// `CN-2026-000001`.
    pub number: String,
    /// The invoice it credits.
    pub invoice_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// ISO 4217.
    pub currency: String,
    /// Credited in all.
    pub amount: i64,
    /// Of which: taken off what the invoice still asked for.
    pub reduced_due: i64,
    /// Of which: put on the customer's credit balance.
    pub to_balance: i64,
    /// Of which: paid back.
    pub refunded: i64,
    /// Why.
    pub reason: String,
    /// The note.
    pub memo: Option<String>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
}

impl From<credit_note::Model> for CreditNoteOut {
    fn from(row: credit_note::Model) -> Self {
        Self {
            id: row.id,
            number: row.number,
            invoice_id: row.invoice_id,
            customer_id: row.customer_id,
            currency: row.currency,
            amount: row.amount,
            reduced_due: row.reduced_due,
            to_balance: row.to_balance,
            refunded: row.refunded,
            reason: row.reason,
            memo: row.memo,
            created_at: row.created_at,
        }
    }
}

/// A credit note of the organization, `None` when it is not there.
///
/// # Errors
/// Database errors.
pub async fn credit_note_detail(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<CreditNoteOut>, DbErr> {
    let found = credit_note::Entity::find_by_id(id)
        .filter(credit_note::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?;
    Ok(found.map(CreditNoteOut::from))
}

/// A page of the organization's credit notes, newest first, maybe one invoice's.
///
/// # Errors
/// Database errors.
pub async fn credit_note_list(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    invoice_id: Option<Uuid>,
    paging: &Paging,
) -> Result<Page<CreditNoteOut>, DbErr> {
    let mut query =
        credit_note::Entity::find().filter(credit_note::Column::OrganizationId.eq(organization_id));
    if let Some(invoice_id) = invoice_id {
        query = query.filter(credit_note::Column::InvoiceId.eq(invoice_id));
    }
    if let Some(after) = &paging.after {
        query = query.filter(credit_note::Column::Id.lt(after.id));
    }
    let rows = query.order_by_desc(credit_note::Column::Id).limit(paging.fetch()).all(db).await?;
    Ok(paging.page(rows, SORT, |last| (serde_json::Value::Null, last.id), CreditNoteOut::from))
}
