//! The tasks app in the console: the list (search, stage, order, keyset pages), a task's
//! page, the board ([`board`]), and tasks in the command palette. The same selectors and
//! services as the JSON API.

mod attachments;
mod board;
mod bulk;
mod edit;
mod page;
mod work;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use baseops_app::{ConsolePage, ConsoleSection, SearchHit};
use baseops_console::form::{Failure, answer};
use baseops_console::list::{Column, columns, first_page, given, shown};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, RequestContext};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::Deserialize;

use crate::caller::Caller;
use crate::permission::{TASKS_CREATE, TASKS_EDIT, TASKS_VIEW};
use crate::selector::{Sort, TaskFilter, list as task_list};
use crate::workflow::Workflow;

/// Matching tasks are counted up to this many; beyond it the list says "more than".
const COUNT_BOUND: u64 = 1000;

/// The list's columns beside the title, which is always shown.
const COLUMNS: &[Column] = &[
    Column { key: "stage", label: "Stage", shown: true },
    Column { key: "priority", label: "Priority", shown: true },
    Column { key: "due", label: "Due", shown: true },
    Column { key: "labels", label: "Labels", shown: true },
    Column { key: "estimate", label: "Estimate", shown: false },
    Column { key: "created", label: "Created", shown: true },
    Column { key: "updated", label: "Changed", shown: false },
    Column { key: "completed", label: "Completed", shown: false },
];

/// What the tasks app adds to the console.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[
        ConsolePage { path: "tasks", title: "Tasks", permission: Some(TASKS_VIEW) },
        ConsolePage { path: "tasks/board", title: "Board", permission: Some(TASKS_VIEW) },
    ],
    routes,
    templates: &[
        ("tasks/list.html", include_str!("../templates/tasks/list.html")),
        ("tasks/detail.html", include_str!("../templates/tasks/detail.html")),
        ("tasks/board.html", include_str!("../templates/tasks/board.html")),
        ("tasks/board_head.html", include_str!("../templates/tasks/board_head.html")),
        ("tasks/board_card.html", include_str!("../templates/tasks/board_card.html")),
        ("tasks/board_answer.html", include_str!("../templates/tasks/board_answer.html")),
        ("tasks/form.html", include_str!("../templates/tasks/form.html")),
        ("tasks/delete.html", include_str!("../templates/tasks/delete.html")),
        ("tasks/attachment_delete.html", include_str!("../templates/tasks/attachment_delete.html")),
    ],
    search: Some(search),
    work: Some(work::work),
};

fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tasks", get(list))
        .route("/admin/tasks/board", get(board::board))
        .route("/admin/tasks/new", get(edit::new_form).post(edit::create))
        .route("/admin/tasks/bulk", post(bulk::move_tasks))
        .route("/admin/tasks/{id}", get(page::detail))
        .route("/admin/tasks/{id}/comments", post(page::comment))
        .route("/admin/tasks/{id}/attachments", post(attachments::upload))
        .route("/admin/tasks/{id}/attachments/{attachment_id}", get(page::attachment))
        .route(
            "/admin/tasks/{id}/attachments/{attachment_id}/delete",
            get(attachments::delete_form).post(attachments::delete),
        )
        .route("/admin/tasks/{id}/edit", get(edit::edit_form).post(edit::update))
        .route("/admin/tasks/{id}/delete", get(edit::delete_form).post(edit::delete))
        .route("/admin/tasks/{id}/status", post(board::move_status))
}

/// The list's filter form, as a browser sends it: empty fields mean "any".
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListForm {
    q: String,
    status: String,
    mine: String,
    open: String,
    overdue: String,
    sort: String,
    cursor: String,
    done: String,
}

/// Longest text a filter field takes, as in the API.
const MAX_FILTER_CHARS: usize = 200;

impl ListForm {
    fn filter(&self, ctx: &RequestContext, workflow: &Workflow) -> Result<TaskFilter, ApiError> {
        for (field, text) in [("q", &self.q), ("status", &self.status), ("sort", &self.sort)] {
            if text.chars().count() > MAX_FILTER_CHARS || text.chars().any(char::is_control) {
                return Err(ApiError::invalid(field, "must be at most 200 characters of text"));
            }
        }
        let sort = match given(&self.sort) {
            None => Sort::default(),
            Some(text) => serde_json::from_value(serde_json::Value::String(text))
                .map_err(|_| ApiError::invalid("sort", "is not an order the list knows"))?,
        };
        let statuses = match given(&self.status) {
            Some(status) => vec![status],
            None if self.open == "1" => work::open_stages(workflow),
            None => Vec::new(),
        };
        Ok(TaskFilter {
            statuses,
            assignee: (self.mine == "1").then(|| ctx.user_id()),
            overdue: (self.overdue == "1").then_some(true),
            q: given(&self.q),
            sort,
            cursor: given(&self.cursor),
            ..TaskFilter::default()
        })
    }

    /// The list's first page with this form's filters.
    fn first_page(&self) -> String {
        self.at("/admin/tasks")
    }

    /// `base` with this form's filters.
    fn at(&self, base: &str) -> String {
        first_page(
            base,
            &[
                ("q", self.q.as_str()),
                ("status", &self.status),
                ("mine", &self.mine),
                ("open", &self.open),
                ("overdue", &self.overdue),
                ("sort", &self.sort),
            ],
        )
    }
}

async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ListForm>,
) -> Result<Response, ConsoleError> {
    render_list(&state, &signed, &form, None).await
}

/// The list with `form`'s filters, and a bulk change's failure above it.
async fn render_list(
    state: &AppState,
    signed: &Signed,
    form: &ListForm,
    failure: Option<Failure>,
) -> Result<Response, ConsoleError> {
    let caller = Caller::of(&signed.ctx, state)?;
    let (workflow, _) = crate::selector::workflow_of(state.db().read(), caller.organization_id())
        .await
        .map_err(ApiError::from)?;
    let filter = form.filter(&signed.ctx, &workflow)?;
    let page = task_list(state.db().read(), &caller, &filter).await?;
    let count = crate::selector::count(state.db().read(), &caller, &filter, COUNT_BOUND)
        .await
        .map_err(ApiError::from)?;
    let columns = columns(signed, "tasks", COLUMNS);
    let page = signed.page(
        "tasks/list.html",
        vec![Crumb::here("Tasks")],
        context! {
            page => value(&page),
            count => value(&count),
            workflow => value(&workflow),
            q => form.q.trim(),
            status => form.status.as_str(),
            mine => form.mine == "1",
            open => form.open == "1",
            overdue => form.overdue == "1",
            sort => form.sort.as_str(),
            first_page => form.first_page(),
            bulk_action => form.at("/admin/tasks/bulk"),
            columns => value(&columns),
            show => value(&shown(&columns)),
            paged => !form.cursor.is_empty(),
            done => done_message(&form.done),
            can_create => signed.can(TASKS_CREATE),
            can_edit => signed.can(TASKS_EDIT),
            failure => value(&failure),
        },
    );
    Ok(answer(failure.as_ref(), page))
}

/// The list's fixed messages after a delete or a bulk move.
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "deleted" => "The task is deleted.",
        "moved" => "The selected tasks are moved.",
        _ => return None,
    })
}

/// Tasks with title words starting with the query's words, exact words first, then newest:
/// an index range scan ([`crate::selector::search`]).
fn search(
    state: AppState,
    ctx: RequestContext,
    q: String,
    limit: u64,
) -> BoxFuture<'static, Result<Vec<SearchHit>, ApiError>> {
    async move {
        if !ctx.can(TASKS_VIEW) {
            return Ok(Vec::new());
        }
        let caller = Caller::of(&ctx, &state)?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let tasks = crate::selector::search::search(state.db().read(), &caller, &q, limit).await?;
        Ok(tasks
            .into_iter()
            .map(|task| SearchHit {
                kind: "Task",
                title: task.title,
                subtitle: task.status,
                url: format!("/admin/tasks/{}", task.id),
            })
            .collect())
    }
    .boxed()
}
