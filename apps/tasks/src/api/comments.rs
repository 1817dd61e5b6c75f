//! A task's comments: list, write, edit and delete (author only, within the edit window).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, ETag, Json, OptionalIfMatch, Problem, Query, RequestContext};
use chrono::Duration;
use sea_orm::TransactionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::Caller;
use crate::permission::TASKS_COMMENT;
use crate::selector::{self, CommentOut};
use crate::service::comment::{CommentInput, comment_create, comment_delete, comment_update};

fn edit_window(state: &AppState) -> Duration {
    Duration::minutes(i64::try_from(state.settings().tasks.comment_edit_minutes).unwrap_or(15))
}

/// Where a page of comments starts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommentQuery {
    /// Only comments after this one (the last id of the previous page).
    after: Option<Uuid>,
}

/// A task's comments, oldest first, 200 at a time.
#[utoipa::path(get, path = "/tasks/{id}/comments", operation_id = "tasks_comments_list", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id"), CommentQuery), responses(
        (status = 200, description = "Comments with their rendered HTML", body = [CommentOut]),
        (status = 403, description = "Requires tasks.view", body = Problem),
        (status = 404, description = "No such task you may see", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Query(query): Query<CommentQuery>,
) -> Result<Json<Vec<CommentOut>>, ApiError> {
    let caller = Caller::of(&ctx, &state)?;
    Ok(Json(selector::comments_of(state.db().read(), &caller, id, query.after).await?))
}

/// Comments on a task.
#[utoipa::path(post, path = "/tasks/{id}/comments", operation_id = "tasks_comments_create", tag = "tasks", request_body = CommentInput,
    params(("id" = Uuid, Path, description = "Task id")), responses(
        (status = 201, description = "Written", body = CommentOut),
        (status = 403, description = "Requires tasks.comment for this task", body = Problem),
        (status = 404, description = "No such task you may see", body = Problem),
        (status = 422, description = "Empty or longer than 10,000 characters", body = Problem),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Json(input): Json<CommentInput>,
) -> Result<(StatusCode, Json<CommentOut>), ApiError> {
    let scope = ctx.require(TASKS_COMMENT)?;
    let caller = Caller::of(&ctx, &state)?;
    let body = input.check();
    let txn = state.db().write().begin().await?;
    let comment = comment_create(&txn, &caller, scope, id, body).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(comment.into())))
}

/// Edits your comment, within `tasks.comment_edit_minutes` of writing it. `If-Match` is
/// optional: with it, the edit applies only at that version (`version` in the list).
#[utoipa::path(patch, path = "/tasks/{id}/comments/{comment_id}", operation_id = "tasks_comments_update", tag = "tasks", request_body = CommentInput,
    params(("id" = Uuid, Path, description = "Task id"), ("comment_id" = Uuid, Path, description = "Comment id"),
        ("If-Match" = Option<String>, Header, description = "Only if still at this version, e.g. \"3\"")),
    responses(
        (status = 200, description = "Edited", body = CommentOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Not your comment (not_author), or too late (edit_window_closed)", body = Problem),
        (status = 404, description = "No such comment on a task you may see", body = Problem),
        (status = 412, description = "Edited since read (version_mismatch)", body = Problem),
        (status = 422, description = "Empty or too long", body = Problem),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((id, comment_id)): Path<(Uuid, Uuid)>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(input): Json<CommentInput>,
) -> Result<(ETag, Json<CommentOut>), ApiError> {
    ctx.require(TASKS_COMMENT)?;
    let caller = Caller::of(&ctx, &state)?;
    let body = input.check();
    let txn = state.db().write().begin().await?;
    let comment = comment_update(&txn, &caller, edit_window(&state), id, comment_id, expected, body).await?;
    txn.commit().await?;
    Ok((ETag(comment.version), Json(comment.into())))
}

/// Deletes your comment, within the edit window.
#[utoipa::path(delete, path = "/tasks/{id}/comments/{comment_id}", operation_id = "tasks_comments_delete", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id"), ("comment_id" = Uuid, Path, description = "Comment id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not your comment (not_author), or too late (edit_window_closed)", body = Problem),
        (status = 404, description = "No such comment on a task you may see", body = Problem),
    ))]
pub(super) async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((id, comment_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    ctx.require(TASKS_COMMENT)?;
    let caller = Caller::of(&ctx, &state)?;
    let txn = state.db().write().begin().await?;
    comment_delete(&txn, &caller, edit_window(&state), id, comment_id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
