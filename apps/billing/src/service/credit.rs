//! The customer's credit balance: what overpayments and credit notes left them, per currency,
//! spent on their invoices or paid back by refunds. It never goes below 0: spending is a
//! conditional update, so two requests racing for the same credit cannot both have it.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, Money};
use baseops_idempotency::{Claim, claim};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ledger::{EntryKind, Whose, post, post_for};
use super::payment::{Idempotency, pay_invoice};
use crate::model::{credit_application, credit_balance};
use crate::selector::invoice_row;
use crate::status::InvoiceStatus;

/// The endpoint name idempotency keys of credit applications are scoped to.
pub const APPLY_ENDPOINT: &str = "billing.invoices.apply_credit";

fn balance_of(whose: Whose<'_>) -> sea_orm::UpdateMany<credit_balance::Entity> {
    credit_balance::Entity::update_many()
        .col_expr(credit_balance::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(credit_balance::Column::OrganizationId.eq(whose.organization_id))
        .filter(credit_balance::Column::CustomerId.eq(whose.customer_id))
        .filter(credit_balance::Column::Currency.eq(whose.currency))
}

/// Adds `amount` to the customer's credit in the currency.
///
/// # Errors
/// Database errors.
pub(crate) async fn credit_add(
    txn: &impl ConnectionTrait,
    whose: Whose<'_>,
    amount: i64,
) -> Result<(), DbErr> {
    let row = credit_balance::Model {
        organization_id: whose.organization_id,
        customer_id: whose.customer_id,
        currency: whose.currency.to_owned(),
        balance: 0,
        updated_at: Utc::now(),
    };
    let keys = [
        credit_balance::Column::OrganizationId,
        credit_balance::Column::CustomerId,
        credit_balance::Column::Currency,
    ];
    credit_balance::Entity::insert(row.into_active_model())
        .on_conflict(OnConflict::columns(keys).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    balance_of(whose)
        .col_expr(credit_balance::Column::Balance, Expr::col(credit_balance::Column::Balance).add(amount))
        .exec(txn)
        .await?;
    Ok(())
}

/// Takes `amount` off the customer's credit; `false` (and nothing changed) when they have less.
///
/// # Errors
/// Database errors.
pub(crate) async fn credit_take(
    txn: &impl ConnectionTrait,
    whose: Whose<'_>,
    amount: i64,
) -> Result<bool, DbErr> {
    let updated = balance_of(whose)
        .col_expr(credit_balance::Column::Balance, Expr::col(credit_balance::Column::Balance).sub(amount))
        .filter(credit_balance::Column::Balance.gte(amount))
        .exec(txn)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// The customer's unused credit in the currency (0 when they have none).
///
/// # Errors
/// Database errors.
pub(crate) async fn credit_available(db: &impl ConnectionTrait, whose: Whose<'_>) -> Result<i64, DbErr> {
    let balance: Option<i64> = credit_balance::Entity::find()
        .select_only()
        .column(credit_balance::Column::Balance)
        .filter(credit_balance::Column::OrganizationId.eq(whose.organization_id))
        .filter(credit_balance::Column::CustomerId.eq(whose.customer_id))
        .filter(credit_balance::Column::Currency.eq(whose.currency))
        .into_tuple()
        .one(db)
        .await?;
    Ok(balance.unwrap_or(0))
}

/// Credit to spend on an invoice.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyCredit {
    /// Minor units; left out: as much as the invoice owes and the credit covers.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub amount: Option<i64>,
}

/// Spends the customer's credit on an open invoice of theirs in its currency, once per
/// `Idempotency-Key`; paid in full, the invoice becomes `paid`. Returns the application's id.
///
/// # Errors
/// 404; 409 `invalid_transition` when the invoice is not open; 409 `credit_changed` when the
/// credit was spent meanwhile; 422 `amount` above what it owes or the credit holds, or no
/// credit at all; 422 `idempotency_key_reused`.
pub async fn credit_apply(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    invoice_id: Uuid,
    idempotency: Idempotency<'_>,
    body: ApplyCredit,
) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    let principal = acting.actor.user_id().map(|user| user.to_string()).unwrap_or_default();
    let Idempotency { key, request_hash } = idempotency;
    if let Claim::Replay(existing) =
        claim(txn, organization_id, &principal, APPLY_ENDPOINT, key, request_hash, id).await?
    {
        return Ok(existing);
    }
    if body.amount.is_some_and(|amount| !(1..=Money::MAX_AMOUNT).contains(&amount)) {
        return Err(ApiError::invalid("amount", "must be more than 0 and at most 10^15 minor units"));
    }
    let invoice = invoice_row(txn, organization_id, invoice_id).await?;
    if invoice.status != InvoiceStatus::Open.as_str() {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            detail: format!("Credit is spent on open invoices; this one is {}.", invoice.status),
        });
    }
    let whose = Whose { organization_id, customer_id: invoice.customer_id, currency: &invoice.currency };
    let available = credit_available(txn, whose).await?;
    let amount = body.amount.unwrap_or(Ord::min(available, invoice.amount_due));
    let mut errors = FieldErrors::new();
    if available == 0 {
        errors.add("amount", format!("the customer has no credit in {}", invoice.currency));
    } else if amount <= 0 || amount > invoice.amount_due || amount > available {
        errors.add(
            "amount",
            format!(
                "must be more than 0 and at most {} (what the invoice owes) and {available} (the credit)",
                invoice.amount_due
            ),
        );
    }
    errors.into_result()?;
    if !credit_take(txn, whose, amount).await? {
        return Err(ApiError::Conflict {
            code: "credit_changed",
            detail: "The customer's credit changed meanwhile; try again.".to_owned(),
        });
    }
    pay_invoice(txn, acting, &invoice, amount).await?;
    let row = credit_application::Model {
        id,
        organization_id,
        customer_id: invoice.customer_id,
        invoice_id,
        currency: invoice.currency.clone(),
        amount,
        created_by: acting.actor.user_id(),
        created_at: Utc::now(),
    };
    credit_application::Entity::insert(row.into_active_model()).exec_without_returning(txn).await?;
    post(txn, &invoice, EntryKind::CreditApplied, -amount).await?;
    post_for(txn, whose, None, EntryKind::CreditUsed, amount).await?;
    let changes = Changes::new().set("amount_due", invoice.amount_due, invoice.amount_due - amount).set(
        "credit",
        available,
        available - amount,
    );
    let entry = AuditEntry::new(acting, Some(organization_id), "invoice.apply_credit", "invoice", invoice_id);
    record(txn, entry.changes(changes)).await?;
    Ok(id)
}
