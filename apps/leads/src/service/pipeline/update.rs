//! Renaming a pipeline or making it the organization's default.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, check_version};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{PipelineChanges, clear_default, find_pipeline, name_taken};
use crate::model::pipeline;

/// Renames a pipeline or makes it the default, and answers its version afterwards.
///
/// `changes` were checked at the edge ([`PipelinePatch::check`](super::PipelinePatch::check)).
/// With `expected` (the client's `If-Match`) the change applies only at that version: one
/// `UPDATE … WHERE id = ? AND version = ?`, so of two edits holding the same version the
/// second gets 412. A change moves the version on; asking for what already is keeps it.
///
/// # Errors
/// 404, 412 `version_mismatch`, 409 `name_taken`; 409 `default_required` when un-defaulting
/// the default; 409 `default_changed` when another pipeline became the default at the same
/// time.
pub async fn pipeline_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    changes: PipelineChanges,
) -> Result<i32, ApiError> {
    let before = find_pipeline(txn, organization_id, id).await?;
    check_version(before.version, expected)?;
    let PipelineChanges { name, is_default } = changes;
    let mut changes = Changes::new();
    let mut update = pipeline::Entity::update_many()
        .filter(pipeline::Column::Id.eq(id))
        .filter(pipeline::Column::OrganizationId.eq(organization_id));
    if let Some(name) = name.filter(|name| *name != before.name) {
        changes = changes.set("name", &before.name, &name);
        update = update.col_expr(pipeline::Column::Name, Expr::value(name));
    }
    let becomes_default = match is_default {
        Some(true) => !before.is_default,
        Some(false) if before.is_default => {
            return Err(ApiError::Conflict {
                code: "default_required",
                detail: "Make another pipeline the default instead.".into(),
            });
        }
        _ => false,
    };
    if becomes_default {
        changes = changes.set("is_default", false, true);
        update = update.col_expr(pipeline::Column::IsDefault, Expr::value(true));
    }
    if changes.is_empty() {
        return Ok(before.version);
    }
    update = update
        .col_expr(pipeline::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .col_expr(pipeline::Column::Version, Expr::col(pipeline::Column::Version).add(1));
    if let Some(expected) = expected {
        update = update.filter(pipeline::Column::Version.eq(expected));
    }
    if becomes_default {
        clear_default(txn, organization_id, id).await?;
    }
    if update.exec(txn).await.map_err(name_taken)?.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "pipeline.update", "pipeline", id).changes(changes),
    )
    .await?;
    Ok(find_pipeline(txn, organization_id, id).await?.version)
}
