//! Moving an invoice through its life: finalize (number it, fix its figures, make it due),
//! void, mark uncollectible. Each move is claimed by its first statement — a conditional
//! `UPDATE … WHERE status = …` — so two concurrent moves of one invoice cannot both happen,
//! and on SQLite the transaction writes before it reads (no lock upgrade to fail).

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError};
use chrono::{Datelike, Days, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use super::ledger::{self, EntryKind};
use super::numbering::{format_number, next_number};
use super::settings::settings_of;
use crate::event::{InvoiceFinalized, InvoicePaid, InvoiceVoided};
use crate::model::{invoice, invoice_line, invoice_tax, tax_rate};
use crate::selector::invoice_row;
use crate::status::InvoiceStatus;

/// The series invoice numbers come from.
pub const INVOICE_SERIES: &str = "invoice";

/// Moves the invoice from one of `from` to `to` if it is in one of them (and at `expected`
/// version, when given); otherwise says why not: 404, 409 `invalid_transition`, 412.
async fn claim(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    from: &[InvoiceStatus],
    to: InvoiceStatus,
) -> Result<invoice::Model, ApiError> {
    let now = Utc::now();
    let mut update = invoice::Entity::update_many()
        .col_expr(invoice::Column::Status, Expr::value(to.as_str()))
        .col_expr(invoice::Column::UpdatedAt, Expr::value(now))
        .col_expr(invoice::Column::Version, Expr::col(invoice::Column::Version).add(1))
        .filter(invoice::Column::Id.eq(id))
        .filter(invoice::Column::OrganizationId.eq(organization_id))
        .filter(invoice::Column::Status.is_in(from.iter().map(|status| status.as_str())));
    if let Some(expected) = expected {
        update = update.filter(invoice::Column::Version.eq(expected));
    }
    if let Some(row) = update.exec_with_returning(txn).await?.pop() {
        return Ok(row);
    }
    let row = invoice_row(txn, organization_id, id).await?;
    let status = InvoiceStatus::parse(&row.status).unwrap_or(InvoiceStatus::Draft);
    if !from.contains(&status) {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            detail: format!("An invoice that is {} cannot become {}.", status.as_str(), to.as_str()),
        });
    }
    Err(ApiError::PreconditionFailed)
}

fn transition(from: &str, to: InvoiceStatus) -> Changes {
    Changes::new().set("status", from, to.as_str())
}

/// Finalizes a draft on `today` (the organization's date): the next number of the year's
/// series, the due date from its terms, the total owed in the ledger. A zero total is paid at
/// once.
///
/// # Errors
/// 404, 409 `invalid_transition`, 412, 422 `lines` for an invoice without lines.
pub async fn invoice_finalize(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let row = claim(txn, organization_id, id, expected, &[InvoiceStatus::Draft], InvoiceStatus::Open).await?;
    if invoice_line::Entity::find().filter(invoice_line::Column::InvoiceId.eq(id)).count(txn).await? == 0 {
        return Err(ApiError::invalid("lines", "an invoice needs at least one line to be finalized"));
    }
    check_rates_in_effect(txn, id, today).await?;
    let settings = settings_of(txn, organization_id).await?;
    let year = today.year();
    let number = format_number(
        &settings.invoice_prefix,
        year,
        next_number(txn, organization_id, INVOICE_SERIES, year).await?,
    );
    let due_on = today
        .checked_add_days(Days::new(u64::try_from(row.payment_terms_days).unwrap_or(0)))
        .unwrap_or(today);
    let paid = row.total == 0;
    let status = if paid { InvoiceStatus::Paid } else { InvoiceStatus::Open };
    let now = Utc::now();
    invoice::Entity::update_many()
        .col_expr(invoice::Column::Number, Expr::value(number.clone()))
        .col_expr(invoice::Column::Status, Expr::value(status.as_str()))
        .col_expr(invoice::Column::IssuedOn, Expr::value(today))
        .col_expr(invoice::Column::DueOn, Expr::value(due_on))
        .col_expr(invoice::Column::FinalizedAt, Expr::value(now))
        .col_expr(invoice::Column::ClosedAt, Expr::value(paid.then_some(now)))
        .col_expr(invoice::Column::AmountDue, Expr::value(row.total))
        .filter(invoice::Column::Id.eq(id))
        .exec(txn)
        .await?;
    ledger::post(txn, &row, EntryKind::InvoiceIssued, row.total).await?;
    let changes = transition("draft", status).set("number", None::<String>, &number).set(
        "due_on",
        None::<NaiveDate>,
        due_on,
    );
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "invoice.finalize", "invoice", id).changes(changes),
    )
    .await?;
    let finalized = InvoiceFinalized {
        invoice_id: id,
        number: number.clone(),
        customer_id: row.customer_id,
        currency: row.currency.clone(),
        total: row.total,
    };
    baseops_jobs::emit(txn, acting, Some(organization_id), &finalized).await?;
    if paid {
        let event = InvoicePaid { invoice_id: id, number, customer_id: row.customer_id };
        baseops_jobs::emit(txn, acting, Some(organization_id), &event).await?;
    }
    Ok(())
}

/// 409 `tax_rate_not_in_effect` when a rate of the invoice does not apply on `today`, the day
/// it would be issued: the invoice must be issued with the rate of its day.
async fn check_rates_in_effect(
    txn: &impl ConnectionTrait,
    id: Uuid,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let used = Query::select()
        .column(invoice_tax::Column::TaxRateId)
        .from(invoice_tax::Entity)
        .and_where(invoice_tax::Column::InvoiceId.eq(id))
        .to_owned();
    let outside = Condition::any()
        .add(tax_rate::Column::EffectiveFrom.gt(today))
        .add(tax_rate::Column::EffectiveTo.lt(today));
    let rate = tax_rate::Entity::find()
        .filter(tax_rate::Column::Id.in_subquery(used))
        .filter(outside)
        .one(txn)
        .await?;
    match rate {
        None => Ok(()),
        Some(rate) => {
            let from = rate.effective_from.map_or_else(|| "always".to_owned(), |day| day.to_string());
            let to = rate.effective_to.map_or_else(|| "further notice".to_owned(), |day| day.to_string());
            Err(ApiError::Conflict {
                code: "tax_rate_not_in_effect",
                detail: format!(
                    "The tax rate {} applies from {from} until {to}, not on {today}, the day this invoice \
                     would be issued: change the lines to the rate in effect.",
                    rate.name
                ),
            })
        }
    }
}

/// Voids an open or uncollectible invoice: its number stays used, what was left of it is no
/// longer owed.
///
/// # Errors
/// 404, 409 `invalid_transition`, 412.
pub async fn invoice_void(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
) -> Result<(), ApiError> {
    let void = InvoiceStatus::Void;
    let (row, was) = match claim(txn, organization_id, id, expected, &[InvoiceStatus::Open], void).await {
        Ok(row) => (row, InvoiceStatus::Open),
        Err(ApiError::Conflict { .. }) => {
            let row =
                claim(txn, organization_id, id, expected, &[InvoiceStatus::Uncollectible], void).await?;
            (row, InvoiceStatus::Uncollectible)
        }
        Err(error) => return Err(error),
    };
    invoice::Entity::update_many()
        .col_expr(invoice::Column::AmountDue, Expr::value(0_i64))
        .col_expr(invoice::Column::ClosedAt, Expr::value(Utc::now()))
        .filter(invoice::Column::Id.eq(id))
        .exec(txn)
        .await?;
    // An uncollectible invoice was already written off in the ledger.
    if was == InvoiceStatus::Open {
        ledger::post(txn, &row, EntryKind::InvoiceVoided, -row.amount_due).await?;
    }
    let changes = transition(was.as_str(), InvoiceStatus::Void).set("amount_due", row.amount_due, 0);
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "invoice.void", "invoice", id).changes(changes),
    )
    .await?;
    let number = row.number.clone().unwrap_or_default();
    let event = InvoiceVoided { invoice_id: id, number, customer_id: row.customer_id };
    baseops_jobs::emit(txn, acting, Some(organization_id), &event).await?;
    Ok(())
}

/// Marks an open invoice uncollectible: written off in the ledger, still payable.
///
/// # Errors
/// 404, 409 `invalid_transition`, 412.
pub async fn invoice_mark_uncollectible(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
) -> Result<(), ApiError> {
    let row = claim(txn, organization_id, id, expected, &[InvoiceStatus::Open], InvoiceStatus::Uncollectible)
        .await?;
    ledger::post(txn, &row, EntryKind::InvoiceWrittenOff, -row.amount_due).await?;
    let changes = transition("open", InvoiceStatus::Uncollectible);
    let entry = AuditEntry::new(acting, Some(organization_id), "invoice.mark_uncollectible", "invoice", id);
    record(txn, entry.changes(changes)).await?;
    Ok(())
}

/// A move of an invoice's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// [`invoice_finalize`] on this date.
    Finalize {
        /// The organization's today.
        today: NaiveDate,
    },
    /// [`invoice_void`].
    Void,
    /// [`invoice_mark_uncollectible`].
    Uncollectible,
}

/// Makes `to` happen to the invoice.
///
/// # Errors
/// Those of the move.
pub async fn invoice_move(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    to: Move,
) -> Result<(), ApiError> {
    match to {
        Move::Finalize { today } => invoice_finalize(txn, acting, organization_id, id, expected, today).await,
        Move::Void => invoice_void(txn, acting, organization_id, id, expected).await,
        Move::Uncollectible => invoice_mark_uncollectible(txn, acting, organization_id, id, expected).await,
    }
}
