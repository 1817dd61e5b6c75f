//! The audit app's answer to [`baseops_core::trail::Trail`]: did a request record anything?

use async_trait::async_trait;
use baseops_core::trail::Trail;
use sea_orm::prelude::DateTimeUtc;
use sea_orm::{ColumnTrait, DatabaseExecutor, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::chain::timestamp_text;
use crate::model::audit_event;

/// Looks the request up among the events of its organization recorded since a time, along
/// the `(organization_id, created_at)` index.
pub(crate) struct AuditTrail;

#[async_trait]
impl Trail for AuditTrail {
    async fn recorded_request(
        &self,
        db: DatabaseExecutor<'_>,
        organization_id: Option<Uuid>,
        request_id: &str,
        since: DateTimeUtc,
    ) -> Result<bool, DbErr> {
        let organization = match organization_id {
            Some(id) => audit_event::Column::OrganizationId.eq(id),
            None => audit_event::Column::OrganizationId.is_null(),
        };
        let count = audit_event::Entity::find()
            .filter(organization)
            .filter(audit_event::Column::CreatedAt.gte(timestamp_text(since)))
            .filter(audit_event::Column::RequestId.eq(request_id))
            .count(&db)
            .await?;
        Ok(count > 0)
    }
}
