//! Renewal: a subscription whose period has ended moves to the next one, and the new period
//! is invoiced (made and finalized) in the same transaction. The period's row in
//! `billing_subscription_periods` is inserted first, keyed by (subscription, period), and the
//! subscription moves on only at the version it was read at — so a period is invoiced exactly
//! once, by one of two workers racing for it, and a worker killed mid-way leaves nothing: its
//! transaction never committed.

use std::collections::HashMap;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, Actor, ApiError, AppState, Currency, Origin, directory};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::proration;
use crate::decimal::Decimal4;
use crate::event::{SubscriptionCanceled, SubscriptionRenewed};
use crate::input::{DiscountIn, LineIn, NewInvoice};
use crate::interval::{Interval, Recurrence};
use crate::model::{price, product, subscription, subscription_period, tax_rate};
use crate::selector::subscription::SubscriptionStatus;
use crate::service::draft::invoice_create;
use crate::service::lifecycle::{Move, invoice_move};

/// Subscriptions renewed per transaction of a renewal run.
pub const BATCH: u64 = 50;
/// A run stops after this many failures (each is logged), so one broken row cannot spin it.
const MAX_FAILURES: usize = 1_000;

/// What a renewal run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Renewals {
    /// Periods moved to (each invoiced unless paused).
    pub renewed: u64,
    /// Subscriptions that ended at their period's end.
    pub canceled: u64,
    /// Periods another worker renewed first.
    pub skipped: u64,
    /// Subscriptions that could not be renewed (logged; retried on the next run).
    pub failed: u64,
}

/// What renewing a subscription's period did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Renewed {
    /// The next period began; its invoice, unless paused.
    Period(Option<Uuid>),
    /// It was set to end with the period, and did.
    Canceled,
    /// Another transaction renewed this period first.
    AlreadyDone,
}

/// The recurrence of a recurring price.
pub(crate) fn recurrence_of(price: &price::Model) -> Option<Recurrence> {
    Some(Recurrence { unit: Interval::parse(price.interval.as_deref()?)?, count: price.interval_count? })
}

fn changed() -> ApiError {
    ApiError::Conflict {
        code: "subscription_changed",
        detail: "The subscription changed meanwhile; try again.".to_owned(),
    }
}

/// Moves `sub` (read in this transaction) to its next period and invoices it, or ends it
/// when it was set to end with the period.
///
/// # Errors
/// 409 `subscription_changed` when it changed since it was read; what making or finalizing
/// the invoice refuses.
pub(crate) async fn renew_one(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    sub: &subscription::Model,
    zone: chrono_tz::Tz,
) -> Result<Renewed, ApiError> {
    let organization_id = sub.organization_id;
    let at_version = || {
        subscription::Entity::update_many()
            .col_expr(subscription::Column::UpdatedAt, Expr::value(Utc::now()))
            .col_expr(subscription::Column::Version, Expr::col(subscription::Column::Version).add(1))
            .filter(subscription::Column::Id.eq(sub.id))
            .filter(subscription::Column::Version.eq(sub.version))
    };
    if sub.cancel_at_period_end {
        let updated = at_version()
            .col_expr(subscription::Column::Status, Expr::value(SubscriptionStatus::Canceled.as_str()))
            .col_expr(subscription::Column::CanceledAt, Expr::value(sub.current_period_end))
            .exec(txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(changed());
        }
        let changes = Changes::new().set("status", &sub.status, SubscriptionStatus::Canceled.as_str());
        let entry =
            AuditEntry::new(acting, Some(organization_id), "subscription.cancel", "subscription", sub.id);
        record(txn, entry.changes(changes)).await?;
        let event = SubscriptionCanceled { subscription_id: sub.id, customer_id: sub.customer_id };
        baseops_jobs::emit(txn, acting, Some(organization_id), &event).await?;
        return Ok(Renewed::Canceled);
    }
    let price = price::Entity::find_by_id(sub.price_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    let recurrence = recurrence_of(&price)
        .ok_or_else(|| ApiError::Internal("a subscription to a one-off price".into()))?;
    let index = sub.period_index + 1;
    let (Some(start), Some(end)) =
        (recurrence.boundary(sub.anchor, index), recurrence.boundary(sub.anchor, index + 1))
    else {
        return Err(ApiError::Internal("a subscription period past the end of the calendar".into()));
    };
    let period = subscription_period::Model {
        subscription_id: sub.id,
        period_index: index,
        period_start: start,
        period_end: end,
        invoice_id: None,
        created_at: Utc::now(),
    };
    let keys = [subscription_period::Column::SubscriptionId, subscription_period::Column::PeriodIndex];
    let inserted = subscription_period::Entity::insert(period.into_active_model())
        .on_conflict(OnConflict::columns(keys).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        return Ok(Renewed::AlreadyDone);
    }
    let paused = sub.status == SubscriptionStatus::Paused.as_str();
    let invoice_id =
        if paused { None } else { Some(invoice_period(txn, acting, sub, &price, (start, end), zone).await?) };
    if let Some(invoice_id) = invoice_id {
        subscription_period::Entity::update_many()
            .col_expr(subscription_period::Column::InvoiceId, Expr::value(invoice_id))
            .filter(subscription_period::Column::SubscriptionId.eq(sub.id))
            .filter(subscription_period::Column::PeriodIndex.eq(index))
            .exec(txn)
            .await?;
    }
    let status = if paused { SubscriptionStatus::Paused } else { SubscriptionStatus::Active };
    let updated = at_version()
        .col_expr(subscription::Column::PeriodIndex, Expr::value(index))
        .col_expr(subscription::Column::CurrentPeriodStart, Expr::value(start))
        .col_expr(subscription::Column::CurrentPeriodEnd, Expr::value(end))
        .col_expr(subscription::Column::Status, Expr::value(status.as_str()))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(changed());
    }
    let changes = Changes::new()
        .set("period_index", sub.period_index, index)
        .set("current_period_end", sub.current_period_end, end)
        .set("invoice_id", serde_json::Value::Null, invoice_id);
    let entry = AuditEntry::new(acting, Some(organization_id), "subscription.renew", "subscription", sub.id);
    record(txn, entry.changes(changes)).await?;
    let event = SubscriptionRenewed {
        subscription_id: sub.id,
        customer_id: sub.customer_id,
        period_start: start,
        period_end: end,
        invoice_id,
    };
    baseops_jobs::emit(txn, acting, Some(organization_id), &event).await?;
    Ok(Renewed::Period(invoice_id))
}

/// Makes and finalizes the invoice of one period: one line of the product, the quantity and
/// the price, with the product's tax rates that are still in use, issued on the period's
/// first day in the organization's time zone.
async fn invoice_period(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    sub: &subscription::Model,
    price: &price::Model,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    zone: chrono_tz::Tz,
) -> Result<Uuid, ApiError> {
    let item = product::Entity::find_by_id(price.product_id).one(txn).await?.ok_or(ApiError::NotFound)?;
    let wanted: Vec<Uuid> = serde_json::from_str(&item.tax_rate_ids).unwrap_or_default();
    let (first, last) = (start.with_timezone(&zone).date_naive(), end.with_timezone(&zone).date_naive());
    // An archived rate no longer applies, nor one not in effect on the period's first day: a
    // product listing the old and the new rate of a tax change is invoiced with the new one
    // from the day it applies.
    let rates: Vec<Uuid> = tax_rate::Entity::find()
        .select_only()
        .column(tax_rate::Column::Id)
        .filter(tax_rate::Column::OrganizationId.eq(sub.organization_id))
        .filter(tax_rate::Column::Id.is_in(wanted.iter().copied()))
        .filter(tax_rate::Column::Archived.eq(false))
        .filter(
            Condition::any()
                .add(tax_rate::Column::EffectiveFrom.is_null())
                .add(tax_rate::Column::EffectiveFrom.lte(first)),
        )
        .filter(
            Condition::any()
                .add(tax_rate::Column::EffectiveTo.is_null())
                .add(tax_rate::Column::EffectiveTo.gte(first)),
        )
        .into_tuple()
        .all(txn)
        .await?;
    let tax_rate_ids = wanted.into_iter().filter(|id| rates.contains(id)).collect();
    let currency = Currency::parse(&price.currency).map_err(ApiError::internal)?;
    // Everything given: a subscription keeps renewing on a price archived since.
    let line = LineIn {
        price_id: Some(price.id),
        description: Some(format!("{} ({first} to {last})", item.name)),
        quantity: Decimal4::from_ten_thousandths(i64::from(sub.quantity) * 10_000),
        unit_amount: Some(price.unit_amount),
        discount: None,
        tax_rate_ids,
    };
    // Mid-period changes since the last invoice: charges as lines, credits as a discount.
    let owed = proration::pending(txn, sub.id).await?;
    let mut subtotal = i128::from(price.unit_amount) * i128::from(sub.quantity);
    let mut credit: i64 = 0;
    let mut lines = vec![line];
    for row in &owed {
        if row.amount > 0 {
            subtotal += i128::from(row.amount);
            lines.push(LineIn {
                description: Some(format!("Proration, {}", row.description)),
                quantity: Decimal4::whole(1),
                unit_amount: Some(row.amount),
                ..lines[0].clone()
            });
        } else {
            credit = credit.saturating_add(row.amount.saturating_neg());
        }
    }
    let discount = i64::try_from(subtotal.min(i128::from(credit))).unwrap_or(credit);
    let new = NewInvoice {
        customer_id: sub.customer_id,
        currency: Some(currency),
        lines,
        discount: (discount > 0).then_some(DiscountIn { percent: None, amount: Some(discount) }),
        memo: None,
        footer: None,
        payment_terms_days: None,
    };
    let id = invoice_create(txn, acting, sub.organization_id, currency, new).await?;
    proration::settle(txn, sub, &owed, id, credit - discount).await?;
    invoice_move(txn, acting, sub.organization_id, id, None, Move::Finalize { today: first }).await?;
    Ok(id)
}

/// Renews every subscription whose period ended by `now`, at most `max` periods; periods
/// missed while no worker ran are caught up one by one.
///
/// Renewals are committed [`BATCH`] at a time, each inside its own savepoint: one commit (one
/// fsync, one hold of the organization's number series) per batch instead of per invoice,
/// while a subscription that fails rolls back alone and is retried by the next run. A worker
/// killed mid-batch leaves nothing of it; the next run redoes the whole batch.
///
/// # Errors
/// Database errors reading what is due (a failing subscription is logged and counted).
pub async fn renew_due(state: &AppState, now: DateTime<Utc>, max: u64) -> Result<Renewals, ApiError> {
    let actor = Actor::System { name: "job:billing.renew_subscriptions".to_owned() };
    let origin = Origin::internal();
    let acting = Acting { actor: &actor, origin: &origin };
    let db = state.db().write();
    let mut zones: HashMap<Uuid, chrono_tz::Tz> = HashMap::new();
    let mut failed: Vec<Uuid> = Vec::new();
    let mut done = Renewals::default();
    let live = [SubscriptionStatus::Trialing, SubscriptionStatus::Active, SubscriptionStatus::Paused]
        .map(|s| s.as_str());
    while done.renewed + done.canceled < max && failed.len() < MAX_FAILURES {
        let due = subscription::Entity::find()
            .filter(subscription::Column::Status.is_in(live))
            .filter(subscription::Column::CurrentPeriodEnd.lte(now))
            .filter(subscription::Column::Id.is_not_in(failed.iter().copied()))
            .order_by_asc(subscription::Column::CurrentPeriodEnd)
            .order_by_asc(subscription::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        if due.is_empty() {
            break;
        }
        // Time zones are read before the batch's transaction: SQLite's one writer connection
        // is held by it.
        let mut unknown: Vec<Uuid> =
            due.iter().map(|sub| sub.organization_id).filter(|id| !zones.contains_key(id)).collect();
        unknown.dedup();
        for organization_id in unknown {
            let zone = directory(state)
                .organization(db.into(), &organization_id.to_string())
                .await?
                .and_then(|organization| organization.time_zone.parse().ok())
                .unwrap_or(chrono_tz::UTC);
            zones.insert(organization_id, zone);
        }
        let txn = db.begin().await?;
        for sub in &due {
            let zone = zones.get(&sub.organization_id).copied().unwrap_or(chrono_tz::UTC);
            let savepoint = txn.begin().await?;
            // Read again inside the transaction: another worker may have moved it on.
            let outcome = match subscription::Entity::find_by_id(sub.id).one(&savepoint).await? {
                Some(fresh) if fresh.version == sub.version => {
                    renew_one(&savepoint, acting, &fresh, zone).await
                }
                _ => Ok(Renewed::AlreadyDone),
            };
            match outcome {
                Ok(Renewed::AlreadyDone) => {
                    savepoint.rollback().await?;
                    done.skipped += 1;
                }
                Ok(renewed) => {
                    savepoint.commit().await?;
                    match renewed {
                        Renewed::Canceled => done.canceled += 1,
                        _ => done.renewed += 1,
                    }
                }
                Err(error) => {
                    savepoint.rollback().await?;
                    tracing::warn!(subscription = %sub.id, ?error, "a subscription could not be renewed");
                    done.failed += 1;
                    failed.push(sub.id);
                }
            }
        }
        txn.commit().await?;
    }
    Ok(done)
}
