//! A pipeline's stages: adding, renaming, moving and deleting them, keeping positions
//! 0, 1, 2, … in order.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{MAX_STAGES, StageChanges, StageSpec, find_pipeline, find_stage, name_taken};
use crate::model::{StageKind, lead, stage};

/// Writes positions 0, 1, 2, … in the given order.
async fn renumber(txn: &impl ConnectionTrait, stages: &[stage::Model]) -> Result<(), DbErr> {
    for (position, stage) in stages.iter().enumerate() {
        if stage.position != position as i32 {
            stage::Entity::update_many()
                .col_expr(stage::Column::Position, sea_orm::sea_query::Expr::value(position as i32))
                .filter(stage::Column::Id.eq(stage.id))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

async fn stages_of(txn: &impl ConnectionTrait, pipeline_id: Uuid) -> Result<Vec<stage::Model>, DbErr> {
    stage::Entity::find()
        .filter(stage::Column::PipelineId.eq(pipeline_id))
        .order_by_asc(stage::Column::Position)
        .order_by_asc(stage::Column::Id)
        .all(txn)
        .await
}

/// Adds a stage to a pipeline; `spec` was checked at the edge
/// ([`StageInput::check`](super::StageInput::check)).
///
/// # Errors
/// 404, 409 `name_taken` or `too_many_stages`.
pub async fn stage_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    pipeline_id: Uuid,
    spec: StageSpec,
) -> Result<Uuid, ApiError> {
    find_pipeline(txn, organization_id, pipeline_id).await?;
    let StageSpec { name, kind, position } = spec;
    let mut stages = stages_of(txn, pipeline_id).await?;
    if stages.len() >= MAX_STAGES {
        return Err(ApiError::Conflict {
            code: "too_many_stages",
            detail: format!("A pipeline has at most {MAX_STAGES} stages."),
        });
    }
    let now = chrono::Utc::now();
    let model = stage::Model {
        id: Uuid::now_v7(),
        organization_id,
        pipeline_id,
        name: name.clone(),
        kind: kind.as_str().to_owned(),
        position: stages.len() as i32,
        created_at: now,
        updated_at: now,
    };
    stage::Entity::insert(sea_orm::IntoActiveModel::into_active_model(model.clone()))
        .exec_without_returning(txn)
        .await
        .map_err(name_taken)?;
    let at = position.map_or(stages.len(), |position| (position.max(0) as usize).min(stages.len()));
    stages.insert(at, model.clone());
    renumber(txn, &stages).await?;
    let changes = Changes::new()
        .set("name", None::<()>, &name)
        .set("kind", None::<()>, kind.as_str())
        .set("position", None::<()>, at);
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "stage.create", "stage", model.id).changes(changes),
    )
    .await?;
    Ok(model.id)
}

/// Renames or moves a stage; `changes` were checked at the edge
/// ([`StagePatch::check`](super::StagePatch::check)).
///
/// # Errors
/// 404, 409 `name_taken`.
pub async fn stage_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    changes: StageChanges,
) -> Result<(), ApiError> {
    let before = find_stage(txn, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    let StageChanges { name, position } = changes;
    let mut changes = Changes::new();
    if let Some(name) = name.filter(|name| *name != before.name) {
        stage::Entity::update_many()
            .col_expr(stage::Column::Name, sea_orm::sea_query::Expr::value(name.clone()))
            .col_expr(stage::Column::UpdatedAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
            .filter(stage::Column::Id.eq(id))
            .exec(txn)
            .await
            .map_err(name_taken)?;
        changes = changes.set("name", &before.name, &name);
    }
    if let Some(position) = position {
        let mut stages = stages_of(txn, before.pipeline_id).await?;
        let from = stages.iter().position(|stage| stage.id == id).unwrap_or(0);
        let moved = stages.remove(from);
        let to = (position.max(0) as usize).min(stages.len());
        stages.insert(to, moved);
        if from != to {
            renumber(txn, &stages).await?;
            changes = changes.set("position", from, to);
        }
    }
    if !changes.is_empty() {
        record(
            txn,
            AuditEntry::new(acting, Some(organization_id), "stage.update", "stage", id).changes(changes),
        )
        .await?;
    }
    Ok(())
}

/// Deletes an empty stage.
///
/// # Errors
/// 404; 409 `stage_in_use` while leads are in it, `last_open_stage` for a pipeline's only
/// open stage.
pub async fn stage_delete(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(), ApiError> {
    let found = find_stage(txn, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    let in_use = lead::Entity::find()
        .filter(lead::Column::OrganizationId.eq(organization_id))
        .filter(lead::Column::StageId.eq(id))
        .count(txn)
        .await?;
    if in_use > 0 {
        return Err(ApiError::Conflict {
            code: "stage_in_use",
            detail: format!("{in_use} leads are in this stage; move them first."),
        });
    }
    let stages = stages_of(txn, found.pipeline_id).await?;
    let open = stages.iter().filter(|stage| stage.kind == StageKind::Open.as_str()).count();
    if found.kind == StageKind::Open.as_str() && open <= 1 {
        return Err(ApiError::Conflict {
            code: "last_open_stage",
            detail: "A pipeline keeps at least one open stage.".into(),
        });
    }
    stage::Entity::delete_by_id(id).exec(txn).await?;
    let rest: Vec<stage::Model> = stages.into_iter().filter(|stage| stage.id != id).collect();
    renumber(txn, &rest).await?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "stage.delete", "stage", id)
            .changes(Changes::new().set("name", &found.name, None::<()>)),
    )
    .await?;
    Ok(())
}
