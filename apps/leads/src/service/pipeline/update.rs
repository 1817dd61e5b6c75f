//! Renaming a pipeline or making it the organization's default.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError};
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use super::{PipelineChanges, clear_default, find_pipeline, name_taken};
use crate::model::pipeline;

/// Renames a pipeline or makes it the default.
///
/// `changes` were checked at the edge ([`PipelinePatch::check`](super::PipelinePatch::check)).
///
/// # Errors
/// 404, 409 `name_taken`; 409 `default_required` when un-defaulting the default.
pub async fn pipeline_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    changes: PipelineChanges,
) -> Result<(), ApiError> {
    let before = find_pipeline(txn, organization_id, id).await?;
    let PipelineChanges { name, is_default } = changes;
    let mut changes = Changes::new();
    let mut active: pipeline::ActiveModel = before.clone().into();
    if let Some(name) = name.filter(|name| *name != before.name) {
        changes = changes.set("name", &before.name, &name);
        active.name = Set(name);
    }
    match is_default {
        Some(true) if !before.is_default => {
            clear_default(txn, organization_id).await?;
            changes = changes.set("is_default", false, true);
            active.is_default = Set(true);
        }
        Some(false) if before.is_default => {
            return Err(ApiError::Conflict {
                code: "default_required",
                detail: "Make another pipeline the default instead.".into(),
            });
        }
        _ => {}
    }
    if changes.is_empty() {
        return Ok(());
    }
    active.updated_at = Set(chrono::Utc::now());
    active.version = Set(before.version + 1);
    sea_orm::ActiveModelTrait::update(active, txn).await.map_err(name_taken)?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "pipeline.update", "pipeline", id).changes(changes),
    )
    .await?;
    Ok(())
}
