//! Editing an organization's workflow: rename stages, add stages between `todo` and `done`,
//! remove added stages that no task is in.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::ApiError;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::Caller;
use crate::model::{task, task_workflow};
use crate::selector::workflow_of;
use crate::workflow::CheckedWorkflow;

/// Replaces the organization's workflow, if it is still at `expected_version` (0 while the
/// organization uses the default one). Returns the new version. `workflow` was checked at
/// the edge ([`Workflow::check`](crate::workflow::Workflow::check)).
///
/// # Errors
/// 409 `stage_in_use` for a removed stage that tasks are in, 412 `version_mismatch`;
/// database errors.
pub async fn workflow_update(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    expected_version: i32,
    workflow: CheckedWorkflow,
) -> Result<i32, ApiError> {
    let workflow = workflow.into_inner();
    let (current, version) = workflow_of(txn, caller.organization_id()).await?;
    if version != expected_version {
        return Err(ApiError::PreconditionFailed);
    }
    for removed in current.stages.iter().filter(|stage| workflow.stage(&stage.key).is_none()) {
        let in_use = task::Entity::find()
            .filter(task::Column::OrganizationId.eq(caller.organization_id()))
            .filter(task::Column::Status.eq(removed.key.as_str()))
            .count(txn)
            .await?;
        if in_use > 0 {
            return Err(ApiError::Conflict {
                code: "stage_in_use",
                detail: format!(
                    "{in_use} tasks are in the stage {}; move them before removing it.",
                    removed.key
                ),
            });
        }
    }
    let stages = serde_json::to_string(&workflow.stages).map_err(ApiError::internal)?;
    let now = Utc::now();
    if version == 0 {
        let inserted = task_workflow::Entity::insert(task_workflow::ActiveModel {
            organization_id: Set(caller.organization_id()),
            stages: Set(stages),
            version: Set(1),
            updated_at: Set(now),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(task_workflow::Column::OrganizationId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        if inserted == 0 {
            return Err(ApiError::PreconditionFailed);
        }
    } else {
        let updated = task_workflow::Entity::update_many()
            .col_expr(task_workflow::Column::Stages, Expr::value(stages))
            .col_expr(task_workflow::Column::Version, Expr::value(version + 1))
            .col_expr(task_workflow::Column::UpdatedAt, Expr::value(now))
            .filter(task_workflow::Column::OrganizationId.eq(caller.organization_id()))
            .filter(task_workflow::Column::Version.eq(version))
            .exec(txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(ApiError::PreconditionFailed);
        }
    }
    let changes = Changes::new().set("stages", &current.stages, &workflow.stages);
    record(
        txn,
        AuditEntry::new(
            caller.acting,
            Some(caller.organization_id()),
            "task_workflow.update",
            "task_workflow",
            caller.organization_id(),
        )
        .changes(changes),
    )
    .await?;
    Ok(version + 1)
}
