//! Reads of subscriptions: a page of them, one with its latest periods.

use baseops_core::{Page, Paging};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{subscription, subscription_period};

/// The order cursors of the subscription list are made for.
pub const SORT: &str = "-created";
/// Periods a subscription's detail shows, newest first.
pub const PERIODS_SHOWN: u64 = 24;

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// In its free trial: the first period is invoiced when it ends.
    Trialing,
    /// Invoiced at the start of each period.
    Active,
    /// Periods go on, but none is invoiced until resumed.
    Paused,
    /// Ended; nothing more is invoiced.
    Canceled,
}

impl SubscriptionStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Canceled => "canceled",
        }
    }

    /// The status named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Trialing, Self::Active, Self::Paused, Self::Canceled].into_iter().find(|s| s.as_str() == text)
    }
}

/// A renewed period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PeriodOut {
    /// 0 for the first.
    pub index: i32,
    /// Its start.
    pub start: DateTime<Utc>,
    /// Its end (the next one's start).
    pub end: DateTime<Utc>,
    /// Its invoice; none when it was paused.
    pub invoice_id: Option<Uuid>,
}

/// A subscription as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SubscriptionOut {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The recurring price.
    pub price_id: Uuid,
    /// Units billed each period.
    pub quantity: i32,
    /// Where it stands.
    pub status: SubscriptionStatus,
    /// The current period's (or the trial's) start.
    pub current_period_start: DateTime<Utc>,
    /// Its end, when the next renewal is due.
    pub current_period_end: DateTime<Utc>,
    /// The trial's end, if it had one.
    pub trial_end: Option<DateTime<Utc>>,
    /// Ends when the current period does.
    pub cancel_at_period_end: bool,
    /// When it ended.
    pub canceled_at: Option<DateTime<Utc>>,
    /// The latest periods, newest first (left out of lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periods: Option<Vec<PeriodOut>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency version (the `ETag`).
    pub version: i32,
}

impl From<subscription::Model> for SubscriptionOut {
    fn from(row: subscription::Model) -> Self {
        Self {
            id: row.id,
            customer_id: row.customer_id,
            price_id: row.price_id,
            quantity: row.quantity,
            status: SubscriptionStatus::parse(&row.status).unwrap_or(SubscriptionStatus::Canceled),
            current_period_start: row.current_period_start,
            current_period_end: row.current_period_end,
            trial_end: row.trial_end,
            cancel_at_period_end: row.cancel_at_period_end,
            canceled_at: row.canceled_at,
            periods: None,
            created_at: row.created_at,
            version: row.version,
        }
    }
}

/// A subscription of the organization, `None` when it is not there.
///
/// # Errors
/// Database errors.
pub(crate) async fn subscription_row(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<subscription::Model>, DbErr> {
    subscription::Entity::find_by_id(id)
        .filter(subscription::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await
}

/// A subscription of the organization with its latest periods, `None` when it is not there.
///
/// # Errors
/// Database errors.
pub async fn subscription_detail(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<SubscriptionOut>, DbErr> {
    let Some(row) = subscription_row(db, organization_id, id).await? else {
        return Ok(None);
    };
    let periods = subscription_period::Entity::find()
        .filter(subscription_period::Column::SubscriptionId.eq(id))
        .order_by_desc(subscription_period::Column::PeriodIndex)
        .limit(PERIODS_SHOWN)
        .all(db)
        .await?
        .into_iter()
        .map(|period| PeriodOut {
            index: period.period_index,
            start: period.period_start,
            end: period.period_end,
            invoice_id: period.invoice_id,
        })
        .collect();
    Ok(Some(SubscriptionOut { periods: Some(periods), ..row.into() }))
}

/// A page of the organization's subscriptions, newest first, maybe one customer's or in one
/// status.
///
/// # Errors
/// Database errors.
pub async fn subscription_list(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    customer_id: Option<Uuid>,
    status: Option<SubscriptionStatus>,
    paging: &Paging,
) -> Result<Page<SubscriptionOut>, DbErr> {
    let mut query =
        subscription::Entity::find().filter(subscription::Column::OrganizationId.eq(organization_id));
    if let Some(customer_id) = customer_id {
        query = query.filter(subscription::Column::CustomerId.eq(customer_id));
    }
    if let Some(status) = status {
        query = query.filter(subscription::Column::Status.eq(status.as_str()));
    }
    if let Some(after) = &paging.after {
        query = query.filter(subscription::Column::Id.lt(after.id));
    }
    let rows = query.order_by_desc(subscription::Column::Id).limit(paging.fetch()).all(db).await?;
    Ok(paging.page(rows, SORT, |last| (serde_json::Value::Null, last.id), SubscriptionOut::from))
}
