//! Subscriptions: a customer on a recurring price. Made active (its first period invoiced at
//! once) or trialing; changed (quantity or price, prorated as `proration.rs` says); paused and
//! resumed; canceled now or at the period's end. Renewals are in `renew.rs`.

mod proration;
mod renew;

pub use proration::{ProrationBehavior, prorated};

pub use renew::{BATCH, Renewals, renew_due};

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, check_version};
use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::event::SubscriptionCanceled;
use crate::model::{price, product, subscription};
use crate::selector::catalog::price_row;
use crate::selector::subscription::{SubscriptionOut, SubscriptionStatus, subscription_row};
use renew::{recurrence_of, renew_one};

/// Most units a subscription bills.
pub const MAX_QUANTITY: i32 = 1_000_000;
/// Longest trial, in days.
pub const MAX_TRIAL_DAYS: i32 = 730;

/// A subscription to start.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// The customer.
    pub customer_id: Uuid,
    /// An active recurring price of an active product.
    pub price_id: Uuid,
    /// Units billed each period, 1–1,000,000 (default 1).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: Option<i32>,
    /// Days of free trial, 0–730; the first period starts when it ends.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 730)]
    pub trial_days: Option<i32>,
}

/// Changes to a subscription, from its next period on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionChanges {
    /// Units billed each period.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: Option<i32>,
    /// Another active price of the same currency and interval.
    #[serde(default)]
    pub price_id: Option<Uuid>,
    /// End (or, `false`, no longer end) when the current period does.
    #[serde(default)]
    pub cancel_at_period_end: Option<bool>,
    /// What a change of price or quantity owes for the rest of the current period:
    /// `create_prorations` (default: the next invoice takes it), `always_invoice` (a charge is
    /// invoiced at once), `none`.
    #[serde(default)]
    pub proration_behavior: Option<ProrationBehavior>,
}

fn check_quantity(quantity: i32, errors: &mut FieldErrors) {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        errors.add("quantity", format!("must be 1 to {MAX_QUANTITY}"));
    }
}

/// The price if it can be subscribed to: active, recurring, of an active product.
async fn subscribable(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    price_id: Uuid,
    errors: &mut FieldErrors,
) -> Result<Option<price::Model>, ApiError> {
    let Some(price) = price_row(txn, organization_id, price_id).await? else {
        errors.add("price_id", "no such price in this organization");
        return Ok(None);
    };
    let product_active =
        product::Entity::find_by_id(price.product_id).one(txn).await?.is_some_and(|item| item.active);
    if !price.active || !product_active {
        errors.add("price_id", "the price or its product is archived");
    } else if recurrence_of(&price).is_none() {
        errors.add("price_id", "a one-off price cannot be subscribed to");
    } else {
        return Ok(Some(price));
    }
    Ok(None)
}

/// Starts a subscription: trialing, or active with its first period invoiced in this
/// transaction. Returns its id.
///
/// # Errors
/// 422 by field (customer, price, quantity, trial).
pub async fn subscription_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
    new: NewSubscription,
) -> Result<Uuid, ApiError> {
    let mut errors = FieldErrors::new();
    let quantity = new.quantity.unwrap_or(1);
    check_quantity(quantity, &mut errors);
    let trial_days = new.trial_days.unwrap_or(0);
    if !(0..=MAX_TRIAL_DAYS).contains(&trial_days) {
        errors.add("trial_days", format!("must be 0 to {MAX_TRIAL_DAYS}"));
    }
    if baseops_customers::customer_by_id(txn, organization_id, new.customer_id).await?.is_none() {
        errors.add("customer_id", "no such customer in this organization");
    }
    let price = subscribable(txn, organization_id, new.price_id, &mut errors).await?;
    errors.into_result()?;
    let trial_end = (trial_days > 0)
        .then(|| now.checked_add_days(Days::new(u64::try_from(trial_days).unwrap_or(0))))
        .flatten();
    let anchor = trial_end.unwrap_or(now);
    let status = if trial_end.is_some() { SubscriptionStatus::Trialing } else { SubscriptionStatus::Active };
    let row = subscription::Model {
        id: Uuid::now_v7(),
        organization_id,
        customer_id: new.customer_id,
        price_id: new.price_id,
        quantity,
        status: status.as_str().to_owned(),
        anchor,
        period_index: -1,
        current_period_start: now,
        current_period_end: anchor,
        trial_end,
        cancel_at_period_end: false,
        canceled_at: None,
        created_by: acting.actor.user_id(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    subscription::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    let entry = AuditEntry::new(acting, Some(organization_id), "subscription.create", "subscription", row.id);
    record(txn, entry.changes(Changes::created(&SubscriptionOut::from(row.clone())))).await?;
    if trial_end.is_none() && price.is_some() {
        renew_one(txn, acting, &row, zone).await?;
    }
    Ok(row.id)
}

/// A live (not canceled) subscription at `expected` version.
async fn live(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
) -> Result<subscription::Model, ApiError> {
    let sub = subscription_row(txn, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    check_version(sub.version, expected)?;
    if sub.status == SubscriptionStatus::Canceled.as_str() {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            detail: "The subscription is canceled.".to_owned(),
        });
    }
    Ok(sub)
}

/// Writes `after` over `before` at its version, with the audit record of `action`.
async fn save(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    action: &str,
    before: &subscription::Model,
    after: subscription::Model,
) -> Result<(), ApiError> {
    let diff =
        Changes::between(&SubscriptionOut::from(before.clone()), &SubscriptionOut::from(after.clone()));
    if diff.is_empty() {
        return Ok(());
    }
    let updated = subscription::Entity::update_many()
        .col_expr(subscription::Column::Quantity, Expr::value(after.quantity))
        .col_expr(subscription::Column::PriceId, Expr::value(after.price_id))
        .col_expr(subscription::Column::Status, Expr::value(after.status))
        .col_expr(subscription::Column::CancelAtPeriodEnd, Expr::value(after.cancel_at_period_end))
        .col_expr(subscription::Column::CanceledAt, Expr::value(after.canceled_at))
        .col_expr(subscription::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(subscription::Column::Version, Expr::col(subscription::Column::Version).add(1))
        .filter(subscription::Column::Id.eq(before.id))
        .filter(subscription::Column::Version.eq(before.version))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let entry = AuditEntry::new(acting, Some(before.organization_id), action, "subscription", before.id);
    record(txn, entry.changes(diff)).await?;
    Ok(())
}

/// Changes the quantity or price — prorated for the rest of the period as `proration_behavior`
/// says — or whether it ends with this one. `today` is the organization's date, the day an
/// `always_invoice` proration's invoice is issued.
///
/// # Errors
/// 404, 409 `invalid_transition` once canceled, 412, 422 by field.
pub async fn subscription_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    (organization_id, today): (Uuid, NaiveDate),
    id: Uuid,
    expected: Option<i32>,
    changes: SubscriptionChanges,
) -> Result<(), ApiError> {
    if let Some(quantity) = changes.quantity {
        let mut errors = FieldErrors::new();
        check_quantity(quantity, &mut errors);
        errors.into_result()?;
    }
    let before = live(txn, organization_id, id, expected).await?;
    let mut errors = FieldErrors::new();
    let mut after = before.clone();
    after.quantity = changes.quantity.unwrap_or(after.quantity);
    let old = price_row(txn, organization_id, before.price_id).await?.ok_or(ApiError::NotFound)?;
    let mut new = old.clone();
    if let Some(price_id) = changes.price_id.filter(|price_id| *price_id != before.price_id)
        && let Some(found) = subscribable(txn, organization_id, price_id, &mut errors).await?
    {
        if found.currency != old.currency || recurrence_of(&found) != recurrence_of(&old) {
            errors.add(
                "price_id",
                "must have the same currency and interval (to change them, cancel and subscribe anew)",
            );
        }
        after.price_id = price_id;
        new = found;
    }
    after.cancel_at_period_end = changes.cancel_at_period_end.unwrap_or(after.cancel_at_period_end);
    errors.into_result()?;
    let behavior = changes.proration_behavior.unwrap_or_default();
    proration::prorate(txn, acting, (&before, &after), (&old, &new), behavior, (Utc::now(), today)).await?;
    save(txn, acting, "subscription.update", &before, after).await
}

/// Cancels at once (nothing more is invoiced; the current period is not refunded).
///
/// # Errors
/// 404, 409 when already canceled, 412.
pub async fn subscription_cancel(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
) -> Result<(), ApiError> {
    let before = live(txn, organization_id, id, expected).await?;
    let after = subscription::Model {
        status: SubscriptionStatus::Canceled.as_str().to_owned(),
        canceled_at: Some(Utc::now()),
        ..before.clone()
    };
    save(txn, acting, "subscription.cancel", &before, after).await?;
    let event = SubscriptionCanceled { subscription_id: id, customer_id: before.customer_id };
    baseops_jobs::emit(txn, acting, Some(organization_id), &event).await?;
    Ok(())
}

/// Pauses an active subscription (`pause`) or resumes a paused one: paused periods go on
/// but are not invoiced.
///
/// # Errors
/// 404, 409 `invalid_transition` from any other status, 412.
pub async fn subscription_pause(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    pause: bool,
) -> Result<(), ApiError> {
    let before = live(txn, organization_id, id, expected).await?;
    let (from, to, action) = if pause {
        (SubscriptionStatus::Active, SubscriptionStatus::Paused, "subscription.pause")
    } else {
        (SubscriptionStatus::Paused, SubscriptionStatus::Active, "subscription.resume")
    };
    if before.status != from.as_str() {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            detail: format!("Only a {} subscription can be {}d.", from.as_str(), &action[13..]),
        });
    }
    let after = subscription::Model { status: to.as_str().to_owned(), ..before.clone() };
    save(txn, acting, action, &before, after).await
}
