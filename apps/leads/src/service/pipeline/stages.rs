//! A pipeline's stages: adding, renaming, moving and deleting them, keeping positions
//! 0, 1, 2, … in order. A stage's place is part of it: a stage whose position shifts because
//! another moved, arrived or left moves to its next version too.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, check_version};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{MAX_STAGES, StageChanges, StageSpec, find_pipeline, find_stage, name_taken};
use crate::model::{StageKind, lead, stage};

/// `version + 1`, for an `UPDATE` of stages.
fn next_version() -> Expr {
    // Scoped: `ExprTrait::max` would shadow `Ord::max` on the positions in this module.
    use sea_orm::sea_query::ExprTrait;
    Expr::col(stage::Column::Version).add(1)
}

/// Writes positions 0, 1, 2, … in the given order, moving each stage whose position changes
/// to its next version.
async fn renumber(txn: &impl ConnectionTrait, stages: &[stage::Model]) -> Result<(), DbErr> {
    for (position, stage) in stages.iter().enumerate() {
        if stage.position != position as i32 {
            stage::Entity::update_many()
                .col_expr(stage::Column::Position, Expr::value(position as i32))
                .col_expr(stage::Column::Version, next_version())
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
    let at = position.map_or(stages.len(), |position| (position.max(0) as usize).min(stages.len()));
    let now = chrono::Utc::now();
    // Written at its place, so renumbering shifts only the stages after it.
    let model = stage::Model {
        id: Uuid::now_v7(),
        organization_id,
        pipeline_id,
        name: name.clone(),
        kind: kind.as_str().to_owned(),
        position: at as i32,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    stage::Entity::insert(sea_orm::IntoActiveModel::into_active_model(model.clone()))
        .exec_without_returning(txn)
        .await
        .map_err(name_taken)?;
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

/// Renames or moves a stage, and answers its version afterwards; `changes` were checked at
/// the edge ([`StagePatch::check`](super::StagePatch::check)).
///
/// With `expected` (the client's `If-Match`) the change applies only at that version: the
/// stage's own row is written first, `UPDATE … WHERE id = ? AND version = ?`, so of two edits
/// holding the same version the second gets 412 before anything else changes. A change moves
/// the version on by one; asking for what already is keeps it.
///
/// # Errors
/// 404, 412 `version_mismatch`, 409 `name_taken`.
pub async fn stage_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    changes: StageChanges,
) -> Result<i32, ApiError> {
    let before = find_stage(txn, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    check_version(before.version, expected)?;
    let StageChanges { name, position } = changes;
    let mut changes = Changes::new();
    let mut update = stage::Entity::update_many()
        .filter(stage::Column::Id.eq(id))
        .filter(stage::Column::OrganizationId.eq(organization_id));
    if let Some(name) = name.filter(|name| *name != before.name) {
        changes = changes.set("name", &before.name, &name);
        update = update.col_expr(stage::Column::Name, Expr::value(name));
    }
    let mut order = None;
    if let Some(position) = position {
        let mut stages = stages_of(txn, before.pipeline_id).await?;
        let from = stages.iter().position(|stage| stage.id == id).unwrap_or(0);
        let mut moved = stages.remove(from);
        let to = (position.max(0) as usize).min(stages.len());
        if from != to {
            changes = changes.set("position", from, to);
            // Its own row takes the new place (and one version) below; renumbering then
            // shifts only the others.
            moved.position = to as i32;
            update = update.col_expr(stage::Column::Position, Expr::value(moved.position));
            stages.insert(to, moved);
            order = Some(stages);
        }
    }
    if changes.is_empty() {
        return Ok(before.version);
    }
    update = update
        .col_expr(stage::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .col_expr(stage::Column::Version, next_version());
    if let Some(expected) = expected {
        update = update.filter(stage::Column::Version.eq(expected));
    }
    if update.exec(txn).await.map_err(name_taken)?.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    if let Some(stages) = order {
        renumber(txn, &stages).await?;
    }
    record(txn, AuditEntry::new(acting, Some(organization_id), "stage.update", "stage", id).changes(changes))
        .await?;
    let after = find_stage(txn, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    Ok(after.version)
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
