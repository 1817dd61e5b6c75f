//! Proration of a mid-period change of a subscription's price or quantity, with Stripe's three
//! behaviours. The difference for the rest of the period, to the second, is
//! `(new − old) × remaining ÷ length` of the amounts per period, rounded half away from zero:
//!
//! - `create_prorations` (the default) records it; the next renewal's invoice takes it — a
//!   charge as a line, a credit (a downgrade's unused time) as a discount on the invoice, what a
//!   discount cannot take carried to the invoice after;
//! - `always_invoice` invoices a charge at once (finalized in the same transaction); a credit
//!   waits for the next invoice as above (invoices have no negative lines);
//! - `none` changes the price from the next period on, with nothing owed either way.
//!
//! Only an active subscription within its period is prorated: a trialing or paused period is
//! not invoiced, so nothing of it is owed.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, Currency};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::decimal::Decimal4;
use crate::input::{LineIn, NewInvoice};
use crate::model::{price, product, proration, subscription};
use crate::selector::subscription::SubscriptionStatus;
use crate::service::draft::invoice_create;
use crate::service::lifecycle::{Move, invoice_move};

/// What a mid-period change owes, as Stripe names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProrationBehavior {
    /// Record the difference; the next invoice takes it.
    #[default]
    CreateProrations,
    /// Invoice a charge at once.
    AlwaysInvoice,
    /// Nothing owed; the new price from the next period.
    None,
}

/// The difference for the rest of `period` after `now` between two amounts per period.
pub fn prorated(old: i64, new: i64, (start, end): (DateTime<Utc>, DateTime<Utc>), now: DateTime<Utc>) -> i64 {
    let length = (end - start).num_seconds();
    if length <= 0 {
        return 0;
    }
    let remaining = (end - now).num_seconds().clamp(0, length);
    let exact = (i128::from(new) - i128::from(old)) * i128::from(remaining);
    let (length, half) = (i128::from(length), i128::from(length) / 2);
    let rounded = if exact >= 0 { (exact + half) / length } else { -((-exact + half) / length) };
    // |new − old| ≤ 2 × 10^15 × 10^6 fits; the quotient is at most |new − old|.
    i64::try_from(rounded).unwrap_or_default()
}

/// Records (or invoices, issued on `today`, the organization's date) what changing `before` to
/// `after` owes at `now`.
///
/// # Errors
/// 422 on `quantity` when a period's price times the quantity is past the largest amount;
/// database errors; the invoice's own (a charge over the limits is a 422).
pub(super) async fn prorate(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    (before, after): (&subscription::Model, &subscription::Model),
    (old_price, new_price): (&price::Model, &price::Model),
    behavior: ProrationBehavior,
    (now, today): (DateTime<Utc>, NaiveDate),
) -> Result<(), ApiError> {
    let in_period = before.current_period_start <= now && now < before.current_period_end;
    if behavior == ProrationBehavior::None
        || before.status != SubscriptionStatus::Active.as_str()
        || !in_period
    {
        return Ok(());
    }
    let per_period = |price: &price::Model, quantity: i32| {
        price.unit_amount.checked_mul(i64::from(quantity)).ok_or_else(|| {
            ApiError::invalid("quantity", "the price times the quantity is past the largest amount")
        })
    };
    let period = (before.current_period_start, before.current_period_end);
    let amount = prorated(
        per_period(old_price, before.quantity)?,
        per_period(new_price, after.quantity)?,
        period,
        now,
    );
    if amount == 0 {
        return Ok(());
    }
    let item = product::Entity::find_by_id(new_price.product_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    let change = match (before.price_id == after.price_id, before.quantity == after.quantity) {
        (true, _) => format!("quantity {} to {}", before.quantity, after.quantity),
        (false, true) => "new price".to_owned(),
        (false, false) => format!("new price, quantity {} to {}", before.quantity, after.quantity),
    };
    let description = format!(
        "{} ({change}) from {} to {}",
        item.name,
        now.format("%Y-%m-%d %H:%M UTC"),
        before.current_period_end.format("%Y-%m-%d %H:%M UTC")
    );
    let invoice_id = if behavior == ProrationBehavior::AlwaysInvoice && amount > 0 {
        let currency = Currency::parse(&new_price.currency).map_err(ApiError::internal)?;
        let line = LineIn {
            price_id: Some(new_price.id),
            description: Some(format!("Proration, {description}")),
            quantity: Decimal4::whole(1),
            unit_amount: Some(amount),
            discount: None,
            // None given: the product's rates that are in use.
            tax_rate_ids: Vec::new(),
        };
        let new = NewInvoice {
            customer_id: before.customer_id,
            currency: Some(currency),
            lines: vec![line],
            discount: None,
            memo: None,
            footer: None,
            payment_terms_days: None,
        };
        let id = invoice_create(txn, acting, before.organization_id, currency, new).await?;
        invoice_move(txn, acting, before.organization_id, id, None, Move::Finalize { today }).await?;
        Some(id)
    } else {
        None
    };
    let row = proration::Model {
        id: Uuid::now_v7(),
        organization_id: before.organization_id,
        subscription_id: before.id,
        amount,
        description: description.clone(),
        created_at: now,
        invoice_id,
    };
    proration::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    let entry = AuditEntry::new(
        acting,
        Some(before.organization_id),
        "subscription.prorate",
        "subscription",
        before.id,
    );
    let changes = serde_json::json!({"amount": amount, "description": description, "invoice_id": invoice_id});
    record(txn, entry.changes(Changes::created(&changes))).await?;
    Ok(())
}

/// The prorations no invoice has taken yet, oldest first.
pub(super) async fn pending(
    txn: &impl ConnectionTrait,
    subscription_id: Uuid,
) -> Result<Vec<proration::Model>, ApiError> {
    Ok(proration::Entity::find()
        .filter(proration::Column::SubscriptionId.eq(subscription_id))
        .filter(proration::Column::InvoiceId.is_null())
        .order_by_asc(proration::Column::CreatedAt)
        .order_by_asc(proration::Column::Id)
        .all(txn)
        .await?)
}

/// Marks `taken` as taken by `invoice_id`; a credit the invoice could not take (`left`) is
/// recorded again for the next one.
pub(super) async fn settle(
    txn: &impl ConnectionTrait,
    sub: &subscription::Model,
    taken: &[proration::Model],
    invoice_id: Uuid,
    left: i64,
) -> Result<(), ApiError> {
    if taken.is_empty() {
        return Ok(());
    }
    proration::Entity::update_many()
        .col_expr(proration::Column::InvoiceId, Expr::value(invoice_id))
        .filter(proration::Column::Id.is_in(taken.iter().map(|row| row.id)))
        .exec(txn)
        .await?;
    if left > 0 {
        let carried = proration::Model {
            id: Uuid::now_v7(),
            organization_id: sub.organization_id,
            subscription_id: sub.id,
            amount: -left,
            description: "Credit of earlier prorations carried over".to_owned(),
            created_at: Utc::now(),
            invoice_id: None,
        };
        proration::Entity::insert(carried.into_active_model()).exec_without_returning(txn).await?;
    }
    Ok(())
}
