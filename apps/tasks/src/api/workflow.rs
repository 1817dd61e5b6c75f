//! The organization's workflow: `GET /tasks/workflow`, `PUT /tasks/workflow`.

use axum::extract::State;
use baseops_core::{ApiError, AppState, ETag, IfMatch, Json, Problem, RequestContext, Scope};
use sea_orm::TransactionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::Caller;
use crate::permission::TASKS_EDIT;
use crate::selector::workflow_of;
use crate::service::workflow::workflow_update;
use crate::workflow::{Stage, Workflow};

/// The workflow with the moves it allows.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowOut {
    /// Stages in order: open ones from `todo`, then `done`, then `cancelled`.
    pub stages: Vec<Stage>,
    /// Stage key → the stages a task there may move to.
    pub transitions: std::collections::BTreeMap<String, Vec<String>>,
    /// Version for `If-Match` (0 while the organization uses the default workflow).
    pub version: i32,
}

fn out(workflow: Workflow, version: i32) -> WorkflowOut {
    let transitions = workflow
        .stages
        .iter()
        .map(|stage| {
            let allowed = workflow.allowed_from(&stage.key).into_iter().map(str::to_owned).collect();
            (stage.key.clone(), allowed)
        })
        .collect();
    WorkflowOut { stages: workflow.stages, transitions, version }
}

/// The organization's task workflow.
#[utoipa::path(get, path = "/tasks/workflow", operation_id = "tasks_get_workflow", tag = "tasks",
    responses(
        (status = 200, description = "Stages and allowed moves", body = WorkflowOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 403, description = "Requires tasks.view", body = Problem),
    ))]
pub(super) async fn get_workflow(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<(ETag, Json<WorkflowOut>), ApiError> {
    let caller = Caller::of(&ctx, &state)?;
    let (workflow, version) = workflow_of(state.db().read(), caller.organization_id()).await?;
    Ok((ETag(version), Json(out(workflow, version))))
}

/// Replaces the workflow: rename stages, add stages between `todo` and `done`, remove added
/// stages no task is in. The built-in stages and the rules stay.
#[utoipa::path(put, path = "/tasks/workflow", operation_id = "tasks_put_workflow", tag = "tasks", request_body = Workflow,
    params(("If-Match" = String, Header, description = "The ETag of the workflow read (\"0\" for the default)")),
    responses(
        (status = 200, description = "The new workflow", body = WorkflowOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires tasks.edit with scope all", body = Problem),
        (status = 409, description = "A removed stage still has tasks (stage_in_use)", body = Problem),
        (status = 412, description = "The workflow changed since that version", body = Problem),
        (status = 422, description = "A workflow that breaks the rules", body = Problem),
        (status = 428, description = "If-Match is missing", body = Problem),
    ))]
pub(super) async fn put_workflow(
    State(state): State<AppState>,
    ctx: RequestContext,
    IfMatch(version): IfMatch,
    Json(workflow): Json<Workflow>,
) -> Result<(ETag, Json<WorkflowOut>), ApiError> {
    if ctx.require(TASKS_EDIT)? != Scope::All {
        return Err(ApiError::Forbidden);
    }
    let caller = Caller::of(&ctx, &state)?;
    let workflow = workflow.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    workflow_update(&txn, &caller, version, workflow).await?;
    txn.commit().await?;
    let (workflow, version_now) = workflow_of(state.db().write(), caller.organization_id()).await?;
    Ok((ETag(version_now), Json(out(workflow, version_now))))
}
