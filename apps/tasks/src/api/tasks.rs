//! Tasks: list, board, create, detail, update, delete, bulk status and assignment, activity.

use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode, header};
use baseops_core::{ApiError, AppState, ETag, IfMatch, Json, Links, Problem, Query, RequestContext};
use baseops_idempotency::{IdempotencyKey, request_hash};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::scope_of;
use crate::permission::{TASKS_ASSIGN, TASKS_CREATE, TASKS_DELETE, TASKS_EDIT};
use crate::selector::{self, ActivityPage, Board, MAX_LIMIT, Page, Sort, TaskFilter, TaskOut};
use crate::service::bulk::{AssignInput, StatusInput, tasks_assign, tasks_set_status};
use crate::service::create::{Idempotency, task_create};
use crate::service::task::{Grants, task_delete, task_update};
use crate::service::{NewTask, TaskChanges};
use crate::{Caller, Priority};

/// Filters, order and page of `GET /tasks` (and `GET /tasks/board`, which ignores `status`
/// and `cursor`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Stage keys, comma-separated (`todo,in_progress`).
    status: Option<String>,
    /// `me` or a user id.
    #[param(pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")]
    assignee: Option<String>,
    /// A label.
    label: Option<String>,
    /// `low`, `normal`, `high` or `urgent`.
    priority: Option<Priority>,
    /// Due strictly before this time.
    due_before: Option<DateTime<Utc>>,
    /// Due at or after this time.
    due_after: Option<DateTime<Utc>>,
    /// `true`: open and past due.
    overdue: Option<bool>,
    /// Linked to records of this type (`lead`).
    related_type: Option<String>,
    /// Linked to this record.
    related_id: Option<Uuid>,
    /// Sub-tasks of this task.
    parent_id: Option<Uuid>,
    /// Text in the title or description, case-insensitive (up to 200 characters).
    q: Option<String>,
    /// `-created` (default), `created`, `due`, `-due`, `-priority`, `priority`, `-updated`, `updated`.
    #[param(inline)]
    sort: Option<Sort>,
    /// Page size 1–200 (default 50); tasks per column on the board, 1–200 (default 20).
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl TaskQuery {
    fn into_filter(self, ctx: &RequestContext) -> Result<TaskFilter, ApiError> {
        let statuses: Vec<String> = self
            .status
            .as_deref()
            .map(|text| text.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if statuses.len() > selector::MAX_STATUSES || statuses.iter().any(|s| s.len() > 32) {
            return Err(ApiError::invalid("status", "at most 20 stage keys of up to 32 characters"));
        }
        let assignee = match self.assignee.as_deref() {
            None => None,
            Some("me") => Some(ctx.user_id()),
            Some(text) => Some(
                Uuid::parse_str(text)
                    .map_err(|_| ApiError::invalid("assignee", "must be `me` or a user id"))?,
            ),
        };
        for (field, value, max) in [
            ("label", &self.label, 50),
            ("related_type", &self.related_type, 32),
            ("q", &self.q, selector::MAX_QUERY_LEN),
            ("cursor", &self.cursor, 200),
        ] {
            if value.as_ref().is_some_and(|value| value.chars().count() > max) {
                return Err(ApiError::invalid(field, format!("must be at most {max} characters")));
            }
        }
        if self.limit.is_some_and(|limit| limit == 0 || limit > MAX_LIMIT) {
            return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        Ok(TaskFilter {
            statuses,
            assignee,
            label: self.label.map(|label| label.trim().to_lowercase()),
            priority: self.priority,
            due_before: self.due_before,
            due_after: self.due_after,
            overdue: self.overdue,
            related_type: self.related_type,
            related_id: self.related_id,
            parent_id: self.parent_id,
            q: self.q,
            sort: self.sort.unwrap_or_default(),
            limit: self.limit,
            cursor: self.cursor,
        })
    }
}

/// The caller's tasks, filtered, sorted, a page at a time.
#[utoipa::path(get, path = "/tasks", operation_id = "tasks_list", tag = "tasks", params(TaskQuery),
    responses(
        (status = 200, description = "A page of tasks; `next_cursor` fetches the next", body = baseops_core::Page<selector::TaskSummary>),
        (status = 400, description = "Bad query or cursor (invalid_cursor)", body = Problem),
        (status = 403, description = "Requires tasks.view", body = Problem),
        (status = 422, description = "A filter out of range", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<TaskQuery>,
) -> Result<Json<Page>, ApiError> {
    let caller = Caller::of(&ctx, &state)?;
    let filter = query.into_filter(&ctx)?;
    Ok(Json(selector::list(state.db().read(), &caller, &filter).await?))
}

/// The caller's tasks grouped by workflow stage, with counts.
#[utoipa::path(get, path = "/tasks/board", operation_id = "tasks_board", tag = "tasks", params(TaskQuery),
    responses(
        (status = 200, description = "One column per stage, in workflow order", body = Board),
        (status = 403, description = "Requires tasks.view", body = Problem),
        (status = 422, description = "A filter out of range", body = Problem),
    ))]
pub(super) async fn board(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<TaskQuery>,
) -> Result<Json<Board>, ApiError> {
    let caller = Caller::of(&ctx, &state)?;
    let filter = query.into_filter(&ctx)?;
    if filter.limit.is_some_and(|limit| limit > selector::MAX_BOARD_LIMIT) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {} on the board", selector::MAX_BOARD_LIMIT),
        ));
    }
    Ok(Json(selector::board(state.db().read(), &caller, &filter).await?))
}

const LOCATION: HeaderName = header::LOCATION;

/// Creates a task. With `Idempotency-Key`, a retry of the same request answers the task the
/// first one created (201 again) instead of creating another.
#[utoipa::path(post, path = "/tasks", operation_id = "tasks_create", tag = "tasks", request_body = NewTask,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–200 printable ASCII characters; retries with the same key and body create nothing new")),
    responses(
        (status = 201, description = "Created (or the earlier request's task, for a repeated key)", body = TaskOut,
            headers(("ETag" = String, description = "The version, for If-Match"), ("Location" = String, description = "The task's URL"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key (invalid_idempotency_key)", body = Problem),
        (status = 403, description = "Requires tasks.create; tasks.assign to assign others (assign_forbidden)", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "Invalid fields, or the key was used with another body (idempotency_key_reused)", body = Problem),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    key: IdempotencyKey,
    Json(input): Json<NewTask>,
) -> Result<(StatusCode, ETag, [(HeaderName, String); 1], Json<TaskOut>), ApiError> {
    let act = ctx.require(TASKS_CREATE)?;
    let caller = Caller::of(&ctx, &state)?;
    let grants = Grants { act, assign: scope_of(&ctx, TASKS_ASSIGN) };
    // The key's hash is of the body as sent, so a retry matches whatever the checks make of it.
    let idempotency = key.0.as_deref().map(|key| Idempotency { key, request_hash: request_hash(&input) });
    let new = input.check();
    let txn = state.db().write().begin().await?;
    let created =
        task_create(&txn, &Links::of(&state), &caller, grants, &state.settings().tasks, idempotency, new)
            .await?;
    txn.commit().await?;
    let task = selector::task_detail(state.db().write(), &caller, created.id()).await?;
    let location = format!("/api/v1/tasks/{}", task.summary.id);
    Ok((StatusCode::CREATED, ETag(task.summary.version), [(LOCATION, location)], Json(task)))
}

/// One task with its description (source and HTML), watchers, sub-tasks and recurrence.
#[utoipa::path(get, path = "/tasks/{id}", operation_id = "tasks_detail", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id")), responses(
        (status = 200, description = "The task", body = TaskOut, headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 403, description = "Requires tasks.view", body = Problem),
        (status = 404, description = "No such task you may see", body = Problem),
    ))]
pub(super) async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<(ETag, Json<TaskOut>), ApiError> {
    let caller = Caller::of(&ctx, &state)?;
    let task = selector::task_detail(state.db().read(), &caller, id).await?;
    Ok((ETag(task.summary.version), Json(task)))
}

/// Changes a task: fields, status (through the workflow), assignees, watchers, labels,
/// recurrence. Needs `If-Match` with the version read.
#[utoipa::path(patch, path = "/tasks/{id}", operation_id = "tasks_update", tag = "tasks", request_body = TaskChanges,
    params(("id" = Uuid, Path, description = "Task id"),
        ("If-Match" = String, Header, description = "The ETag of the version being changed, e.g. \"3\"")),
    responses(
        (status = 200, description = "The changed task", body = TaskOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires tasks.edit for this task; tasks.assign to assign others", body = Problem),
        (status = 404, description = "No such task you may see", body = Problem),
        (status = 409, description = "The workflow does not allow the move (invalid_transition; detail lists the allowed stages)", body = Problem),
        (status = 412, description = "The task changed since that version (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
        (status = 428, description = "If-Match is missing (precondition_required)", body = Problem),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(changes): Json<TaskChanges>,
) -> Result<(ETag, Json<TaskOut>), ApiError> {
    let act = ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(&ctx, &state)?;
    let grants = Grants { act, assign: scope_of(&ctx, TASKS_ASSIGN) };
    let changes = changes.check();
    let txn = state.db().write().begin().await?;
    task_update(&txn, &Links::of(&state), &caller, grants, &state.settings().tasks, id, version, changes)
        .await?;
    txn.commit().await?;
    let task = selector::task_detail(state.db().write(), &caller, id).await?;
    Ok((ETag(task.summary.version), Json(task)))
}

/// Deletes a task with its comments and attachments. A task with sub-tasks is refused.
#[utoipa::path(delete, path = "/tasks/{id}", operation_id = "tasks_delete", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id")), responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Requires tasks.delete (own scope: tasks you created)", body = Problem),
        (status = 404, description = "No such task you may see", body = Problem),
        (status = 409, description = "It has sub-tasks (has_subtasks)", body = Problem),
    ))]
pub(super) async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let scope = ctx.require(TASKS_DELETE)?;
    let caller = Caller::of(&ctx, &state)?;
    let txn = state.db().write().begin().await?;
    let keys = task_delete(&txn, &Links::of(&state), &caller, scope, id).await?;
    txn.commit().await?;
    super::attachments::forget(&state, keys).await;
    Ok(StatusCode::NO_CONTENT)
}

/// What a bulk request changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    /// The tasks that changed (those already as asked are left out).
    pub changed: Vec<Uuid>,
}

/// Moves up to 200 tasks to a stage, all or none.
#[utoipa::path(post, path = "/tasks/bulk/status", operation_id = "tasks_bulk_status", tag = "tasks", request_body = StatusInput,
    responses(
        (status = 200, description = "Every task moved", body = BulkResult),
        (status = 403, description = "Requires tasks.edit for every task", body = Problem),
        (status = 409, description = "A move the workflow does not allow; the detail names the task (invalid_transition)", body = Problem),
        (status = 422, description = "Too many ids, an unknown task or stage", body = Problem),
    ))]
pub(super) async fn bulk_status(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<StatusInput>,
) -> Result<Json<BulkResult>, ApiError> {
    let edit = ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(&ctx, &state)?;
    let change = input.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let changed =
        tasks_set_status(&txn, &Links::of(&state), &caller, edit, &state.settings().tasks, change).await?;
    txn.commit().await?;
    Ok(Json(BulkResult { changed }))
}

/// Adds and removes assignees on up to 200 tasks, all or none.
#[utoipa::path(post, path = "/tasks/bulk/assign", operation_id = "tasks_bulk_assign", tag = "tasks", request_body = AssignInput,
    responses(
        (status = 200, description = "Every task changed", body = BulkResult),
        (status = 403, description = "Requires tasks.edit, and tasks.assign to assign others", body = Problem),
        (status = 422, description = "Too many ids, an unknown task, a non-member", body = Problem),
    ))]
pub(super) async fn bulk_assign(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<AssignInput>,
) -> Result<Json<BulkResult>, ApiError> {
    let act = ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(&ctx, &state)?;
    let grants = Grants { act, assign: scope_of(&ctx, TASKS_ASSIGN) };
    let change = input.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let changed = tasks_assign(&txn, &caller, grants, change).await?;
    txn.commit().await?;
    Ok(Json(BulkResult { changed }))
}

/// A page of the activity history.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Page size 1–200 (default 50).
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A task's history, newest first: creation, every change, comments and attachments, with
/// who did it and what changed (from the audit trail).
#[utoipa::path(get, path = "/tasks/{id}/activity", operation_id = "tasks_activity", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id"), ActivityQuery), responses(
        (status = 200, description = "A page of audit events about the task", body = baseops_core::Page<baseops_audit::AuditEvent>),
        (status = 400, description = "Bad cursor (invalid_cursor)", body = Problem),
        (status = 403, description = "Requires tasks.view", body = Problem),
        (status = 404, description = "No such task you may see", body = Problem),
    ))]
pub(super) async fn activity(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Query(query): Query<ActivityQuery>,
) -> Result<Json<ActivityPage>, ApiError> {
    let caller = Caller::of(&ctx, &state)?;
    if query.limit.is_some_and(|limit| limit == 0 || limit > MAX_LIMIT) {
        return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    if query.cursor.as_ref().is_some_and(|cursor| cursor.len() > 128) {
        return Err(ApiError::invalid("cursor", "must be at most 128 characters"));
    }
    Ok(Json(selector::activity(state.db().read(), &caller, id, query.limit, query.cursor).await?))
}
