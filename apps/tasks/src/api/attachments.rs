//! A task's attachments: list, upload (the request body is the file), download, delete.
//! Files go through the storage service, bounded by
//! `storage.max_file_bytes` (the upload route is exempt from `server.body_limit_bytes`).
//! The console's attachment forms store and delete through [`attach`] and [`detach`].

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baseops_core::{ApiError, AppState, Json, Problem, Query, RequestContext, Scope};
use baseops_storage::{Storage, StorageError};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::Caller;
use crate::model::task_attachment;
use crate::permission::TASKS_EDIT;
use crate::selector::{self, AttachmentOut};
use crate::service::attachment::{
    FileName, attachment_allowed, attachment_create, attachment_delete, clean_file_name, storage_key,
};

/// The configured storage; 503 when there is none.
pub(crate) fn storage(state: &AppState) -> Result<&Storage, ApiError> {
    state
        .extension::<Storage>()
        .ok_or_else(|| ApiError::Unavailable("File storage is not configured.".into()))
}

fn storage_error(error: StorageError) -> ApiError {
    match error {
        StorageError::TooLarge { .. } => ApiError::PayloadTooLarge,
        StorageError::UnsupportedType(detail) => ApiError::UnsupportedMediaType(detail),
        StorageError::NotFound(_) => ApiError::NotFound,
        other => ApiError::internal(other),
    }
}

/// Deletes stored files whose records are gone; a failure only leaves an orphan file, so it
/// is logged, not answered.
pub(crate) async fn forget(state: &AppState, keys: Vec<String>) {
    let Some(storage) = state.extension::<Storage>() else { return };
    for key in keys {
        if let Err(error) = storage.delete(&key).await {
            tracing::warn!(%key, %error, "a deleted attachment's file could not be removed");
        }
    }
}

/// A task's attachments, oldest first.
#[utoipa::path(get, path = "/tasks/{id}/attachments", operation_id = "tasks_attachments_list", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id")), responses(
        (status = 200, description = "Attachments (at most 200)", body = [AttachmentOut]),
        (status = 403, description = "Requires tasks.view", body = Problem),
        (status = 404, description = "No such task you may see", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<AttachmentOut>>, ApiError> {
    let caller = Caller::of(&ctx, &state)?;
    Ok(Json(selector::attachments_of(state.db().read(), &caller, id).await?))
}

/// The uploaded file's name.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name (a path is cut to its last part), 1–255 characters.
    file_name: String,
}

/// Attaches a file: the request body is the file, `Content-Type` its media type.
#[utoipa::path(post, path = "/tasks/{id}/attachments", operation_id = "tasks_attachments_upload", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file, sent with its own Content-Type (image/png, application/pdf, …)"),
    responses(
        (status = 201, description = "Attached", body = AttachmentOut),
        (status = 403, description = "Requires tasks.edit for this task", body = Problem),
        (status = 404, description = "No such task you may see", body = Problem),
        (status = 409, description = "The task has 100 attachments (too_many_attachments)", body = Problem),
        (status = 413, description = "Larger than storage.max_file_bytes", body = Problem),
        (status = 415, description = "A media type not accepted, or content that is not of that type", body = Problem),
        (status = 422, description = "No usable file name", body = Problem),
    ))]
pub(super) async fn upload(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<AttachmentOut>), ApiError> {
    let edit = ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(&ctx, &state)?;
    let file_name = clean_file_name(&query.file_name)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ApiError::UnsupportedMediaType("Send the file's media type as Content-Type.".into()))?
        .to_owned();
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest { code: "unreadable_body", detail: rejection.body_text() }
        }
    })?;
    let attachment = attach(&state, &caller, edit, id, file_name, &content_type, body).await?;
    Ok((StatusCode::CREATED, Json(attachment.into())))
}

/// Stores `body` as a new attachment of task `id` and records it (the API's and the console's
/// upload): the task is checked before any byte is stored, the storage checks the file's size,
/// type and content, and a record that fails takes its stored file with it.
///
/// # Errors
/// 503 without storage; 404, 403, 409 `too_many_attachments`; 413, 415; database errors.
pub(crate) async fn attach(
    state: &AppState,
    caller: &Caller<'_>,
    edit: Scope,
    id: Uuid,
    file_name: FileName,
    content_type: &str,
    body: Bytes,
) -> Result<task_attachment::Model, ApiError> {
    let storage = storage(state)?;
    // Refuse early, before any byte is stored, when the task is out of reach.
    attachment_allowed(state.db().read(), caller, edit, id).await?;
    let attachment_id = Uuid::now_v7();
    let key = storage_key(caller.organization_id(), id, attachment_id);
    let stored = storage.put(&key, content_type, body).await.map_err(storage_error)?;
    let recorded = async {
        let txn = state.db().write().begin().await?;
        let attachment = attachment_create(&txn, caller, edit, id, attachment_id, file_name, &stored).await?;
        txn.commit().await?;
        Ok::<_, ApiError>(attachment)
    }
    .await;
    if recorded.is_err() {
        forget(state, vec![key]).await;
    }
    recorded
}

/// The attached file itself, as a download.
#[utoipa::path(get, path = "/tasks/{id}/attachments/{attachment_id}", operation_id = "tasks_attachments_download", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id"), ("attachment_id" = Uuid, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The file, with the media type it was uploaded with (one of storage.allowed_types)", content_type = "*/*", body = Vec<u8>),
        (status = 403, description = "Requires tasks.view", body = Problem),
        (status = 404, description = "No such attachment on a task you may see", body = Problem),
    ))]
pub(super) async fn download(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((id, attachment_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    file(&state, &ctx, id, attachment_id).await
}

/// An attachment of a task `ctx` may see, as a download that never runs as a page (the
/// console's download answers the same).
///
/// # Errors
/// 404 for an attachment out of reach; storage errors.
pub(crate) async fn file(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    attachment_id: Uuid,
) -> Result<Response, ApiError> {
    let caller = Caller::of(ctx, state)?;
    let found = selector::attachment_of(state.db().read(), &caller, id, attachment_id).await?;
    let bytes = storage(state)?.get(&found.storage_key).await.map_err(storage_error)?;
    let ascii_name: String =
        found.file_name.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii_name}\"");
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&found.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // Served from the API's origin: a file must never run as a page there.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    Ok(response)
}

/// Removes an attachment and its file.
#[utoipa::path(delete, path = "/tasks/{id}/attachments/{attachment_id}", operation_id = "tasks_attachments_delete", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id"), ("attachment_id" = Uuid, Path, description = "Attachment id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Requires tasks.edit for this task", body = Problem),
        (status = 404, description = "No such attachment on a task you may see", body = Problem),
    ))]
pub(super) async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((id, attachment_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let edit = ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(&ctx, &state)?;
    detach(&state, &caller, edit, id, attachment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes an attachment's record, then its file (the API's and the console's delete).
///
/// # Errors
/// 404, 403 outside the caller's `tasks.edit` scope; database errors.
pub(crate) async fn detach(
    state: &AppState,
    caller: &Caller<'_>,
    edit: Scope,
    id: Uuid,
    attachment_id: Uuid,
) -> Result<(), ApiError> {
    let txn = state.db().write().begin().await?;
    let key = attachment_delete(&txn, caller, edit, id, attachment_id).await?;
    txn.commit().await?;
    forget(state, vec![key]).await;
    Ok(())
}
