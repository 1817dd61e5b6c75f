//! A lead's timeline, newest first, a page at a time.

use baseops_core::{ApiError, Paging};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{ActivityKind, activity};
use crate::permission::Access;
use crate::selector::Page;

/// The order cursors of the timeline are made for.
pub const SORT: &str = "activities";

/// A timeline entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityOut {
    /// Id.
    pub id: Uuid,
    /// What it records.
    pub kind: ActivityKind,
    /// Who logged it (`null` for the system).
    pub author_id: Option<Uuid>,
    /// Its text.
    pub body: String,
    /// Details by kind: stage changes carry `from_stage_id`, `to_stage_id`, `status`,
    /// `time_in_stage_secs`; assignments `from_owner_id`, `to_owner_id`; calls and meetings
    /// `duration_minutes`; conversions `customer_id`; merges `merged_ids`; tasks `task_id`.
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// A page of a lead's activities, most recently recorded first. The caller checks that the
/// lead is within reach first.
///
/// # Errors
/// 400 `invalid_cursor`, 422 bad limit; database errors.
pub async fn activities_of(
    db: &impl ConnectionTrait,
    access: &Access,
    lead_id: Uuid,
    paging: &Paging,
) -> Result<Page<ActivityOut>, ApiError> {
    let mut query = activity::Entity::find()
        .filter(activity::Column::LeadId.eq(lead_id))
        .filter(activity::Column::OrganizationId.eq(access.organization_id));
    if let Some(after) = &paging.after {
        query = query.filter(activity::Column::Id.lt(after.id));
    }
    let rows = query.order_by_desc(activity::Column::Id).limit(paging.fetch()).all(db).await?;
    Ok(paging.page(
        rows,
        SORT,
        |last| (serde_json::Value::Null, last.id),
        |row| ActivityOut {
            id: row.id,
            kind: ActivityKind::parse(&row.kind).unwrap_or(ActivityKind::Note),
            author_id: row.author_id,
            body: row.body,
            data: row.data.and_then(|data| serde_json::from_str(&data).ok()),
            occurred_at: row.occurred_at,
            created_at: row.created_at,
        },
    ))
}
