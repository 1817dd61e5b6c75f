//! A task's page in the console: its details, sub-tasks, comments (with a form to write
//! one), attachments (downloads, and the forms of [`super::attachments`]) and recent activity
//! — the same selectors and services as `GET /tasks/{id}`, `GET/POST /tasks/{id}/comments`,
//! the attachments and the activity.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use baseops_console::form::{DoneQuery, Failure, answer, done};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::attachments;
use crate::caller::Caller;
use crate::permission::{TASKS_COMMENT, TASKS_CREATE, TASKS_DELETE, TASKS_EDIT};
use crate::selector::{activity, attachments_of, comments_of, task_detail};
use crate::service::comment::{CommentInput, comment_create};

/// Events of the activity the page shows; the rest is in the audit viewer.
const ACTIVITY_SHOWN: u64 = 20;

/// The fixed messages a redirect after a change names.
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "created" => "The task is created.",
        "saved" => "Your changes are saved.",
        "commented" => "Your comment is added.",
        "attached" => "The file is attached.",
        "detached" => "The attachment is deleted.",
        _ => return None,
    })
}

/// The comment form as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct CommentForm {
    body: String,
}

/// The task's page, with a refused form's failure by that form and a change's done message.
pub(super) async fn render(
    state: &AppState,
    signed: &Signed,
    id: Uuid,
    comment: &CommentForm,
    failure: Option<Failure>,
    done: Option<&'static str>,
) -> Result<Response, ConsoleError> {
    let caller = Caller::of(&signed.ctx, state)?;
    let db = state.db().read();
    let task = task_detail(db, &caller, id).await?;
    let comments = comments_of(db, &caller, id, None).await?;
    let attachments = attachments_of(db, &caller, id).await?;
    let history = activity(db, &caller, id, Some(ACTIVITY_SHOWN), None).await?;
    let storage = &state.settings().storage;
    let page = signed.page(
        "tasks/detail.html",
        vec![Crumb::link("Tasks", "/admin/tasks"), Crumb::here(task.summary.title.clone())],
        context! {
            task => value(&task),
            comments => value(&comments),
            attachments => value(&attachments),
            activity => value(&history.items),
            more_activity => history.next_cursor.is_some(),
            comment => value(comment),
            failure => value(&failure),
            done => done,
            can_edit => signed.can(TASKS_EDIT),
            can_delete => signed.can(TASKS_DELETE),
            can_create => signed.can(TASKS_CREATE),
            can_comment => signed.can(TASKS_COMMENT),
            max_file => attachments::size_text(storage.max_file_bytes),
            accept => storage.allowed_types.join(","),
        },
    );
    Ok(answer(failure.as_ref(), page))
}

/// `GET /admin/tasks/{id}`.
pub(super) async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    render(&state, &signed, id, &CommentForm::default(), None, done_message(&query.done)).await
}

/// `POST /admin/tasks/{id}/comments`: as `POST /tasks/{id}/comments`.
pub(super) async fn comment(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(form): Form<CommentForm>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let scope = ctx.require(TASKS_COMMENT)?;
    let caller = Caller::of(ctx, &state)?;
    let written = async {
        let body = CommentInput { body: form.body.clone() }.check();
        let txn = state.db().write().begin().await?;
        comment_create(&txn, &caller, scope, id, body).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match written.await {
        Ok(()) => Ok(done(&format!("/admin/tasks/{id}"), "commented")),
        Err(error) => {
            let failure = Failure::of("comment", error)?;
            render(&state, &signed, id, &form, Some(failure), None).await
        }
    }
}

/// `GET /admin/tasks/{id}/attachments/{attachment_id}`: the file, as the API's download.
pub(super) async fn attachment(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, attachment_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ConsoleError> {
    Ok(crate::api::attachments::file(&state, &signed.ctx, id, attachment_id).await?)
}
