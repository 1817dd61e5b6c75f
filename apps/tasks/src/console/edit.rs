//! Creating, editing and deleting a task in the console: the same checks and services as
//! `POST /tasks`, `PATCH /tasks/{id}` (with the version read as `If-Match`) and
//! `DELETE /tasks/{id}`. A new task can start as a sub-task (`?parent=`) or about another
//! app's record (`?related_type=lead&related_id=`), as the API allows.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use baseops_console::form::{Failure, answer, done, idempotency_key};
use baseops_console::list::given;
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, FieldErrors, Links};
use baseops_idempotency::request_hash;
use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Priority;
use crate::api::scope_of;
use crate::caller::Caller;
use crate::permission::{TASKS_ASSIGN, TASKS_CREATE, TASKS_DELETE, TASKS_EDIT};
use crate::selector::{TaskOut, task_detail};
use crate::service::create::{Idempotency, task_create};
use crate::service::task::{Grants, task_delete, task_update};
use crate::service::{NewTask, TaskChanges};

/// The form's name in failures and element ids.
const FORM: &str = "task";

/// How a due time is typed (`<input type="datetime-local">`), read as UTC.
const DUE_FORMATS: [&str; 2] = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"];

/// A task's form as a browser sends it.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct TaskForm {
    title: String,
    description: String,
    priority: String,
    due_at: String,
    estimate_minutes: String,
    labels: String,
    parent_id: String,
    related_type: String,
    related_id: String,
    /// The version the edit form was opened at (its `If-Match`).
    version: String,
    /// The new-task form's own idempotency key: a second submit replays the first.
    idempotency_key: String,
}

impl TaskForm {
    /// A stored task as its edit form shows it.
    fn of(task: &TaskOut) -> Self {
        let summary = &task.summary;
        Self {
            title: summary.title.clone(),
            description: task.description.clone(),
            priority: serde_json::to_value(summary.priority)
                .ok()
                .and_then(|value| value.as_str().map(str::to_owned))
                .unwrap_or_default(),
            due_at: summary.due_at.map(|due| due.format(DUE_FORMATS[0]).to_string()).unwrap_or_default(),
            estimate_minutes: summary.estimate_minutes.map(|minutes| minutes.to_string()).unwrap_or_default(),
            labels: summary.labels.join(", "),
            version: summary.version.to_string(),
            ..Self::default()
        }
    }

    fn priority(&self, errors: &mut FieldErrors) -> Option<Priority> {
        let text = given(&self.priority)?;
        serde_json::from_value(serde_json::Value::String(text))
            .map_err(|_| errors.add("priority", "must be low, normal, high or urgent"))
            .ok()
    }

    fn due_at(&self, errors: &mut FieldErrors) -> Option<DateTime<Utc>> {
        let text = given(&self.due_at)?;
        let parsed = DUE_FORMATS.iter().find_map(|format| NaiveDateTime::parse_from_str(&text, format).ok());
        match parsed {
            Some(time) => Some(time.and_utc()),
            None => {
                errors.add("due_at", "must be a date and time such as 2026-12-31T17:00");
                None
            }
        }
    }

    fn estimate(&self, errors: &mut FieldErrors) -> Option<i32> {
        let text = given(&self.estimate_minutes)?;
        text.parse().map_err(|_| errors.add("estimate_minutes", "must be a whole number of minutes")).ok()
    }

    fn id(errors: &mut FieldErrors, field: &str, text: &str) -> Option<Uuid> {
        let text = given(text)?;
        text.parse().map_err(|_| errors.add(field, "must be a record id")).ok()
    }

    fn labels(&self) -> Vec<String> {
        self.labels.split(',').filter_map(given).collect()
    }

    /// The body `POST /tasks` would take; problems the form finds before the service.
    fn new_task(&self) -> Result<NewTask, ApiError> {
        let mut errors = FieldErrors::new();
        let task = NewTask {
            title: self.title.clone(),
            description: given(&self.description),
            priority: self.priority(&mut errors),
            labels: Some(self.labels()),
            due_at: self.due_at(&mut errors),
            estimate_minutes: self.estimate(&mut errors),
            parent_id: Self::id(&mut errors, "parent_id", &self.parent_id),
            related_type: given(&self.related_type),
            related_id: Self::id(&mut errors, "related_id", &self.related_id),
            ..NewTask::default()
        };
        if errors.is_empty() { Ok(task) } else { Err(ApiError::Validation(errors)) }
    }

    /// The body `PATCH /tasks/{id}` would take for the fields the form shows.
    fn changes(&self) -> Result<TaskChanges, ApiError> {
        let mut errors = FieldErrors::new();
        let changes = TaskChanges {
            title: Some(self.title.clone()),
            description: Some(self.description.trim().to_owned()),
            priority: self.priority(&mut errors),
            labels: Some(self.labels()),
            due_at: Some(self.due_at(&mut errors)),
            estimate_minutes: Some(self.estimate(&mut errors)),
            ..TaskChanges::default()
        };
        if errors.is_empty() { Ok(changes) } else { Err(ApiError::Validation(errors)) }
    }
}

/// The form page: a new task's (`task` none) or a task's edit form.
fn render(signed: &Signed, task: Option<&TaskOut>, form: &TaskForm, failure: Option<Failure>) -> Response {
    let (crumbs, action, heading, task_id) = match task {
        Some(task) => {
            let id = task.summary.id;
            (
                vec![
                    Crumb::link("Tasks", "/admin/tasks"),
                    Crumb::link(task.summary.title.clone(), format!("/admin/tasks/{id}")),
                    Crumb::here("Edit"),
                ],
                format!("/admin/tasks/{id}/edit"),
                format!("Edit {}", task.summary.title),
                Some(id.to_string()),
            )
        }
        None => (
            vec![Crumb::link("Tasks", "/admin/tasks"), Crumb::here("New task")],
            "/admin/tasks/new".to_owned(),
            if form.parent_id.is_empty() { "New task" } else { "New sub-task" }.to_owned(),
            None,
        ),
    };
    let page = signed.page(
        "tasks/form.html",
        crumbs,
        context! {
            form => value(form),
            failure => value(&failure),
            action => action,
            heading => heading,
            task_id => task_id,
        },
    );
    answer(failure.as_ref(), page)
}

/// Where a new task starts: under a parent, or about another app's record.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Start {
    parent: String,
    related_type: String,
    related_id: String,
}

/// `GET /admin/tasks/new`.
pub(super) async fn new_form(signed: Signed, Query(start): Query<Start>) -> Result<Response, ConsoleError> {
    signed.ctx.require(TASKS_CREATE)?;
    let form = TaskForm {
        priority: "normal".to_owned(),
        parent_id: start.parent,
        related_type: start.related_type,
        related_id: start.related_id,
        idempotency_key: Uuid::now_v7().to_string(),
        ..TaskForm::default()
    };
    Ok(render(&signed, None, &form, None))
}

/// `POST /admin/tasks/new`: as `POST /tasks`, with the form's idempotency key.
pub(super) async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<TaskForm>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let act = ctx.require(TASKS_CREATE)?;
    let caller = Caller::of(ctx, &state)?;
    let created = async {
        let input = form.new_task()?;
        let hash = request_hash(&input);
        let idempotency =
            idempotency_key(&form.idempotency_key).map(|key| Idempotency { key, request_hash: hash });
        let grants = Grants { act, assign: scope_of(ctx, TASKS_ASSIGN) };
        let txn = state.db().write().begin().await?;
        let settings = &state.settings().tasks;
        let created =
            task_create(&txn, &Links::of(&state), &caller, grants, settings, idempotency, input.check())
                .await?;
        txn.commit().await?;
        Ok::<_, ApiError>(created.id())
    };
    match created.await {
        Ok(id) => Ok(done(&format!("/admin/tasks/{id}"), "created")),
        Err(error) => Ok(render(&signed, None, &form, Some(Failure::of_edit(FORM, error, "task")?))),
    }
}

/// `GET /admin/tasks/{id}/edit`.
pub(super) async fn edit_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(&signed.ctx, &state)?;
    let task = task_detail(state.db().read(), &caller, id).await?;
    Ok(render(&signed, Some(&task), &TaskForm::of(&task), None))
}

/// `POST /admin/tasks/{id}/edit`: as `PATCH /tasks/{id}` with `If-Match` the version the
/// form was opened at.
pub(super) async fn update(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(form): Form<TaskForm>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let act = ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(ctx, &state)?;
    let task = task_detail(state.db().write(), &caller, id).await?;
    let updated = async {
        let version = form.version.trim().parse().map_err(|_| ApiError::PreconditionFailed)?;
        let changes = form.changes()?.check();
        let grants = Grants { act, assign: scope_of(ctx, TASKS_ASSIGN) };
        let txn = state.db().write().begin().await?;
        let settings = &state.settings().tasks;
        task_update(&txn, &Links::of(&state), &caller, grants, settings, id, version, changes).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match updated.await {
        Ok(()) => Ok(done(&format!("/admin/tasks/{id}"), "saved")),
        Err(error) => Ok(render(&signed, Some(&task), &form, Some(Failure::of_edit(FORM, error, "task")?))),
    }
}

fn confirm_page(signed: &Signed, task: &TaskOut, failure: Option<Failure>) -> Response {
    let id = task.summary.id;
    let page = signed.page(
        "tasks/delete.html",
        vec![
            Crumb::link("Tasks", "/admin/tasks"),
            Crumb::link(task.summary.title.clone(), format!("/admin/tasks/{id}")),
            Crumb::here("Delete"),
        ],
        context! { task => value(task), failure => value(&failure) },
    );
    answer(failure.as_ref(), page)
}

/// `GET /admin/tasks/{id}/delete`: what deleting takes with it, and a confirm button.
pub(super) async fn delete_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(TASKS_DELETE)?;
    let caller = Caller::of(&signed.ctx, &state)?;
    let task = task_detail(state.db().read(), &caller, id).await?;
    Ok(confirm_page(&signed, &task, None))
}

/// `POST /admin/tasks/{id}/delete`: as `DELETE /tasks/{id}`; a task with sub-tasks is
/// refused on the confirm page.
pub(super) async fn delete(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let scope = ctx.require(TASKS_DELETE)?;
    let caller = Caller::of(ctx, &state)?;
    let deleted = async {
        let txn = state.db().write().begin().await?;
        let keys = task_delete(&txn, &Links::of(&state), &caller, scope, id).await?;
        txn.commit().await?;
        Ok::<_, ApiError>(keys)
    };
    match deleted.await {
        Ok(keys) => {
            crate::api::attachments::forget(&state, keys).await;
            Ok(Redirect::to("/admin/tasks?done=deleted").into_response())
        }
        Err(error @ ApiError::Conflict { .. }) => {
            let task = task_detail(state.db().write(), &caller, id).await?;
            Ok(confirm_page(&signed, &task, Some(Failure::of("delete", error)?)))
        }
        Err(error) => Err(error.into()),
    }
}
