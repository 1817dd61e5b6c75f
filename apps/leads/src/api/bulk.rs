//! Changing up to 200 leads at once, all or none: the list's bulk actions.

use axum::extract::State;
use baseops_core::{ApiError, AppState, Json, Problem, RequestContext};
use sea_orm::TransactionTrait;

use crate::permission::{LEADS_ASSIGN, LEADS_DELETE, LEADS_EDIT, LEADS_REOPEN, access_of};
use crate::service::lead::bulk::{BulkAssignInput, BulkDeleteInput, BulkStageInput, checked_ids};
use crate::service::lead::{BulkResult, leads_assign, leads_delete, leads_move_stage};

/// Gives up to 200 leads one owner (each new owner is notified), all or none.
#[utoipa::path(post, path = "/leads/bulk/assign", operation_id = "leads_bulk_assign", tag = "leads", request_body = BulkAssignInput,
    responses(
        (status = 200, description = "Every lead has the owner", body = BulkResult),
        (status = 403, description = "Requires leads.assign on every lead", body = Problem),
        (status = 422, description = "No ids or too many, a lead out of sight, an owner who is not a member", body = Problem),
    ))]
pub(super) async fn bulk_assign(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<BulkAssignInput>,
) -> Result<Json<BulkResult>, ApiError> {
    let access = access_of(&ctx, LEADS_ASSIGN)?;
    let ids = checked_ids(input.ids).map_err(ApiError::Validation)?;
    let directory = baseops_core::directory(&state);
    let txn = state.db().write().begin().await?;
    let done = leads_assign(&txn, &*directory, ctx.acting(), &access, &ids, input.owner_id).await?;
    txn.commit().await?;
    Ok(Json(done))
}

/// Moves up to 200 leads to one stage, all or none. Leaving won or lost needs
/// `leads.reopen`; a `lost` stage needs a `lost_reason`.
#[utoipa::path(post, path = "/leads/bulk/stage", operation_id = "leads_bulk_stage", tag = "leads", request_body = BulkStageInput,
    responses(
        (status = 200, description = "Every lead is in the stage", body = BulkResult),
        (status = 403, description = "Requires leads.edit on every lead; leaving won/lost needs leads.reopen (reopen_not_allowed)", body = Problem),
        (status = 422, description = "No ids or too many, a lead out of sight, an unknown stage, lost without a reason", body = Problem),
    ))]
pub(super) async fn bulk_stage(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<BulkStageInput>,
) -> Result<Json<BulkResult>, ApiError> {
    let access = access_of(&ctx, LEADS_EDIT)?;
    let reopen = access_of(&ctx, LEADS_REOPEN).ok();
    let (ids, target) = input.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let done = leads_move_stage(&txn, ctx.acting(), &access, &ids, &target, reopen.as_ref()).await?;
    txn.commit().await?;
    Ok(Json(done))
}

/// Deletes up to 200 leads with their timelines, all or none.
#[utoipa::path(post, path = "/leads/bulk/delete", operation_id = "leads_bulk_delete", tag = "leads", request_body = BulkDeleteInput,
    responses(
        (status = 200, description = "Every lead is deleted", body = BulkResult),
        (status = 403, description = "Requires leads.delete on every lead", body = Problem),
        (status = 422, description = "No ids or too many, a lead out of sight", body = Problem),
    ))]
pub(super) async fn bulk_delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<BulkDeleteInput>,
) -> Result<Json<BulkResult>, ApiError> {
    let access = access_of(&ctx, LEADS_DELETE)?;
    let ids = checked_ids(input.ids).map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let done = leads_delete(&txn, ctx.acting(), &access, &ids).await?;
    txn.commit().await?;
    Ok(Json(done))
}
