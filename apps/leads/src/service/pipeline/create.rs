//! Creating a pipeline with its stages.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use super::{MAX_PIPELINES, PipelineSpec, clear_default, name_taken, pipeline_ensure_default};
use crate::model::{pipeline, stage};

/// Creates a pipeline with its stages.
///
/// `spec` was checked at the edge ([`NewPipeline::check`](super::NewPipeline::check)).
///
/// # Errors
/// 409 `name_taken`, `too_many_pipelines`, or `default_changed` when another pipeline became
/// the default at the same time.
pub async fn pipeline_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    spec: PipelineSpec,
) -> Result<Uuid, ApiError> {
    let PipelineSpec { name, stages, is_default } = spec;
    let names: Vec<String> = stages.iter().map(|(name, _)| name.clone()).collect();
    let count = pipeline::Entity::find()
        .filter(pipeline::Column::OrganizationId.eq(organization_id))
        .count(txn)
        .await?;
    if count >= MAX_PIPELINES {
        return Err(ApiError::Conflict {
            code: "too_many_pipelines",
            detail: format!("An organization has at most {MAX_PIPELINES} pipelines."),
        });
    }
    // The organization's default exists before a second pipeline does.
    pipeline_ensure_default(txn, acting, organization_id).await?;
    let now = chrono::Utc::now();
    let id = Uuid::now_v7();
    if is_default {
        clear_default(txn, organization_id, id).await?;
    }
    pipeline::Entity::insert(pipeline::ActiveModel {
        id: Set(id),
        organization_id: Set(organization_id),
        name: Set(name.clone()),
        is_default: Set(is_default),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(txn)
    .await
    .map_err(name_taken)?;
    let rows = stages.iter().enumerate().map(|(position, (name, kind))| stage::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        pipeline_id: Set(id),
        name: Set(name.clone()),
        kind: Set(kind.as_str().to_owned()),
        position: Set(position as i32),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    });
    stage::Entity::insert_many(rows).exec_without_returning(txn).await?;
    let changes = Changes::new().set("name", None::<()>, &name).set("stages", None::<()>, &names).set(
        "is_default",
        None::<()>,
        is_default,
    );
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "pipeline.create", "pipeline", id).changes(changes),
    )
    .await?;
    Ok(id)
}
