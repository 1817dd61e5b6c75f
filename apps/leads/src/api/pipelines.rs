//! Pipelines and stages: everyone who sees leads reads them; `leads.edit` with scope `all`
//! changes them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, ETag, Json, OptionalIfMatch, Problem, RequestContext};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::permission::{LEADS_EDIT, LEADS_VIEW};
use crate::selector::pipeline::{PipelineOut, pipelines_of};
use crate::service::pipeline::{
    NewPipeline, PipelinePatch, StageInput, StagePatch, pipeline_create, pipeline_ensure_default,
    pipeline_update, stage_create, stage_delete, stage_update,
};

/// The organization's pipelines, read on the write pool after a change.
async fn current(state: &AppState, organization_id: Uuid) -> Result<Vec<PipelineOut>, ApiError> {
    Ok(pipelines_of(state.db().write(), organization_id).await?)
}

/// The organization's pipelines with their stages, default first. The default pipeline
/// (New → Contacted → Qualified → Proposal → Won | Lost) is created on first use.
#[utoipa::path(get, path = "/leads/pipelines", operation_id = "leads_pipelines", tag = "leads",
    responses(
        (status = 200, description = "Pipelines with stages", body = [PipelineOut]),
        (status = 403, description = "Requires leads.view", body = Problem),
    ))]
pub(crate) async fn pipelines(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<PipelineOut>>, ApiError> {
    ctx.require(LEADS_VIEW)?;
    let organization_id = ctx.organization_id()?;
    let found = pipelines_of(state.db().read(), organization_id).await?;
    if !found.is_empty() {
        return Ok(Json(found));
    }
    let txn = state.db().write().begin().await?;
    pipeline_ensure_default(&txn, ctx.acting(), organization_id).await?;
    txn.commit().await?;
    Ok(Json(current(&state, organization_id).await?))
}

/// Creates a pipeline with its stages.
#[utoipa::path(post, path = "/leads/pipelines", operation_id = "leads_create_pipeline", tag = "leads",
    request_body = NewPipeline, responses(
        (status = 201, description = "Created; every pipeline", body = [PipelineOut]),
        (status = 403, description = "Requires leads.edit with scope all", body = Problem),
        (status = 409, description = "Name taken (name_taken), too many pipelines, or another pipeline became the default at the same time (default_changed)", body = Problem),
        (status = 422, description = "Invalid name or stages", body = Problem),
    ))]
pub(crate) async fn create_pipeline(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<NewPipeline>,
) -> Result<(StatusCode, Json<Vec<PipelineOut>>), ApiError> {
    ctx.require_all(LEADS_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let spec = input.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    pipeline_create(&txn, ctx.acting(), organization_id, spec).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(current(&state, organization_id).await?)))
}

/// Renames a pipeline or makes it the default. `If-Match` is optional: with it, the change
/// applies only at that version (`version` in `GET /leads/pipelines`).
#[utoipa::path(patch, path = "/leads/pipelines/{id}", operation_id = "leads_update_pipeline", tag = "leads",
    request_body = PipelinePatch,
    params(("id" = Uuid, Path, description = "Pipeline id"), ("If-Match" = Option<String>, Header, description = "Only if still at this version, e.g. \"3\"")),
    responses(
        (status = 200, description = "Updated; every pipeline", body = [PipelineOut], headers(("ETag" = String, description = "The pipeline's new version"))),
        (status = 403, description = "Requires leads.edit with scope all", body = Problem),
        (status = 404, description = "No such pipeline", body = Problem),
        (status = 409, description = "Name taken, un-defaulting the default (default_required), or another pipeline became the default at the same time (default_changed)", body = Problem),
        (status = 412, description = "Changed since read (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid name", body = Problem),
    ))]
pub(crate) async fn update_pipeline(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(patch): Json<PipelinePatch>,
) -> Result<(ETag, Json<Vec<PipelineOut>>), ApiError> {
    ctx.require_all(LEADS_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let changes = patch.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let version = pipeline_update(&txn, ctx.acting(), organization_id, id, expected, changes).await?;
    txn.commit().await?;
    Ok((ETag(version), Json(current(&state, organization_id).await?)))
}

/// Adds a stage to a pipeline.
#[utoipa::path(post, path = "/leads/pipelines/{id}/stages", operation_id = "leads_add_stage", tag = "leads",
    request_body = StageInput, params(("id" = Uuid, Path, description = "Pipeline id")),
    responses(
        (status = 201, description = "Added; every pipeline", body = [PipelineOut]),
        (status = 403, description = "Requires leads.edit with scope all", body = Problem),
        (status = 404, description = "No such pipeline", body = Problem),
        (status = 409, description = "Name taken or too many stages", body = Problem),
        (status = 422, description = "Invalid name", body = Problem),
    ))]
pub(crate) async fn add_stage(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Json(input): Json<StageInput>,
) -> Result<(StatusCode, Json<Vec<PipelineOut>>), ApiError> {
    ctx.require_all(LEADS_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let spec = input.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    stage_create(&txn, ctx.acting(), organization_id, id, spec).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(current(&state, organization_id).await?)))
}

/// Renames or moves a stage. `If-Match` is optional: with it, the change applies only at
/// that version (the stage's `version` in `GET /leads/pipelines`).
#[utoipa::path(patch, path = "/leads/stages/{id}", operation_id = "leads_update_stage", tag = "leads",
    request_body = StagePatch,
    params(("id" = Uuid, Path, description = "Stage id"), ("If-Match" = Option<String>, Header, description = "Only if still at this version, e.g. \"3\"")),
    responses(
        (status = 200, description = "Updated; every pipeline", body = [PipelineOut], headers(("ETag" = String, description = "The stage's new version"))),
        (status = 403, description = "Requires leads.edit with scope all", body = Problem),
        (status = 404, description = "No such stage", body = Problem),
        (status = 409, description = "Name taken", body = Problem),
        (status = 412, description = "Changed since read (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid name", body = Problem),
    ))]
pub(crate) async fn update_stage(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(patch): Json<StagePatch>,
) -> Result<(ETag, Json<Vec<PipelineOut>>), ApiError> {
    ctx.require_all(LEADS_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let changes = patch.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let version = stage_update(&txn, ctx.acting(), organization_id, id, expected, changes).await?;
    txn.commit().await?;
    Ok((ETag(version), Json(current(&state, organization_id).await?)))
}

/// Deletes an empty stage.
#[utoipa::path(delete, path = "/leads/stages/{id}", operation_id = "leads_delete_stage", tag = "leads",
    params(("id" = Uuid, Path, description = "Stage id")), responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Requires leads.edit with scope all", body = Problem),
        (status = 404, description = "No such stage", body = Problem),
        (status = 409, description = "Leads are in it (stage_in_use), or it is the last open stage", body = Problem),
    ))]
pub(crate) async fn delete_stage(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    ctx.require_all(LEADS_EDIT)?;
    let txn = state.db().write().begin().await?;
    stage_delete(&txn, ctx.acting(), ctx.organization_id()?, id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
