//! A task's attachments in the console: attaching a file from the task's page (a
//! `multipart/form-data` form whose CSRF token rides in the action's query string) and deleting
//! one after a confirm page — the same checks and services as `POST` and `DELETE
//! /tasks/{id}/attachments` ([`attach`], [`detach`]).

use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use baseops_console::form::{Failure, answer, done, sentences};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState};
use bytes::{Bytes, BytesMut};
use uuid::Uuid;

use super::page::{CommentForm, render};
use crate::api::attachments::{attach, detach, storage};
use crate::caller::Caller;
use crate::permission::TASKS_EDIT;
use crate::selector::{attachment_of, task_detail};
use crate::service::attachment::clean_file_name;

/// The upload form's name in failures and element ids.
const FORM: &str = "attachment";

/// The file a browser sent, as read from the form.
struct Upload {
    file_name: String,
    content_type: String,
    bytes: Bytes,
}

/// Why a form's file is refused before the services see it.
fn refused(error: &MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::invalid("file", "must be sent as a file upload form")
    }
}

/// The form's `file` part, at most `max_bytes` of it; other parts are not this form's and
/// are skipped (the route's body limit bounds them).
async fn read_file(mut form: Multipart, max_bytes: u64) -> Result<Upload, ApiError> {
    while let Some(mut field) = form.next_field().await.map_err(|error| refused(&error))? {
        if field.name() != Some("file") {
            continue;
        }
        // A browser sends an empty, nameless part when no file was chosen.
        let file_name = field.file_name().unwrap_or_default().to_owned();
        // Multipart's own default for a part without a type.
        let content_type = field.content_type().unwrap_or("text/plain").to_owned();
        let mut bytes = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(|error| refused(&error))? {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(ApiError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Upload { file_name, content_type, bytes: bytes.freeze() });
    }
    Err(ApiError::invalid("file", "is required"))
}

/// `bytes` as people read a file size (`10 MiB`, `64 KiB`), rounded down.
pub(super) fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

/// The upload form refused for `error`: a sentence above the form, the problem beside the
/// file field, the API's status; errors not about the file stay error pages ([`Failure::of`]).
fn failure_of(error: ApiError, max_bytes: u64) -> Result<Failure, ConsoleError> {
    let status = error.problem().status_code();
    let (message, problem) = match &error {
        ApiError::PayloadTooLarge => {
            let limit = size_text(max_bytes);
            (
                format!("The file is larger than the {limit} accepted; nothing was attached."),
                format!("is larger than {limit}"),
            )
        }
        ApiError::UnsupportedMediaType(detail) => {
            (format!("The file was not attached: {detail}."), detail.clone())
        }
        ApiError::Validation(errors) => {
            let labels = [("file", "The file"), ("file_name", "The file's name")];
            let problems: Vec<&str> =
                errors.iter().flat_map(|(_, messages)| messages.iter().map(String::as_str)).collect();
            (sentences(errors, &labels), problems.join("; "))
        }
        _ => return Failure::of(FORM, error),
    };
    let mut failure = Failure::field(FORM, "file", &problem)?;
    failure.message = message;
    failure.status = status;
    Ok(failure)
}

/// `POST /admin/tasks/{id}/attachments` (multipart, its CSRF token in the query string): as
/// `POST /tasks/{id}/attachments`; a refused file comes back on the task's page.
pub(super) async fn upload(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let edit = ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(ctx, &state)?;
    let max_bytes = storage(&state)?.max_file_bytes();
    let stored = async {
        let form = form.map_err(|_| ApiError::invalid("file", "must be sent as a file upload form"))?;
        let upload = read_file(form, max_bytes).await?;
        if upload.file_name.is_empty() && upload.bytes.is_empty() {
            return Err(ApiError::invalid("file", "is required"));
        }
        let file_name = clean_file_name(&upload.file_name)?;
        if upload.bytes.is_empty() {
            // The console's own check (the API stores an empty text file): from a browser, an
            // empty file is a mistake rather than a document.
            return Err(ApiError::invalid("file", "is empty"));
        }
        attach(&state, &caller, edit, id, file_name, &upload.content_type, upload.bytes).await
    };
    match stored.await {
        Ok(_) => Ok(done(&format!("/admin/tasks/{id}"), "attached")),
        Err(error) => {
            let failure = failure_of(error, max_bytes)?;
            render(&state, &signed, id, &CommentForm::default(), Some(failure), None).await
        }
    }
}

/// `GET /admin/tasks/{id}/attachments/{attachment_id}/delete`: which file goes, and a confirm
/// button.
pub(super) async fn delete_form(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, attachment_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(&signed.ctx, &state)?;
    let db = state.db().read();
    let task = task_detail(db, &caller, id).await?;
    let attachment = attachment_of(db, &caller, id, attachment_id).await?;
    let page = signed.page(
        "tasks/attachment_delete.html",
        vec![
            Crumb::link("Tasks", "/admin/tasks"),
            Crumb::link(task.summary.title.clone(), format!("/admin/tasks/{id}")),
            Crumb::here("Delete attachment"),
        ],
        context! { task => value(&task), file_name => attachment.file_name, attachment_id => attachment_id.to_string() },
    );
    Ok(answer(None, page))
}

/// `POST /admin/tasks/{id}/attachments/{attachment_id}/delete`: as `DELETE
/// /tasks/{id}/attachments/{attachment_id}`.
pub(super) async fn delete(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, attachment_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let edit = ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(ctx, &state)?;
    detach(&state, &caller, edit, id, attachment_id).await?;
    Ok(done(&format!("/admin/tasks/{id}"), "detached"))
}
