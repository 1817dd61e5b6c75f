//! The tasks board: one column per workflow stage, tasks as cards, and moving a task
//! through the API's own service (`task_update` with only `status`, as
//! `PATCH /tasks/{id}`) with the same permissions, the task's version (a stale one is
//! refused, never overwritten) and the workflow's allowed transitions.
//!
//! A move is a form post. Without JavaScript it answers 303 back to the board, or the board
//! again with the refusal. The board's script sends the same form with
//! `X-Requested-With: fetch` and gets a partial instead: the moved card and the column
//! heads (200), or a one-line refusal (409, 422).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use baseops_console::form::{from_script, sentences};
use baseops_console::list::given;
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, Links, Scope};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Priority;
use crate::caller::Caller;
use crate::permission::{TASKS_ASSIGN, TASKS_EDIT};
use crate::selector::{Board, TaskFilter, TaskSummary, board as board_of, task_detail, workflow_of};
use crate::service::TaskChanges;
use crate::service::task::{Grants, task_update};
use crate::workflow::Workflow;

/// Most cards a column shows; its head still counts every task.
const CARDS_PER_COLUMN: u64 = 50;

/// The board's query: the task a form just moved (for the notice).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct BoardQuery {
    moved: String,
}

/// A card's move form, as a browser sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct MoveForm {
    status: String,
    version: String,
}

/// A stage a card may move to.
#[derive(Debug, Serialize)]
struct Choice {
    key: String,
    name: String,
}

/// A task on a card; `movable` when the person may edit it, `allowed` the stages the
/// workflow lets it move to from where it is.
#[derive(Debug, Serialize)]
struct Card {
    id: Uuid,
    title: String,
    priority: Priority,
    due_at: Option<DateTime<Utc>>,
    status: String,
    version: i32,
    movable: bool,
    allowed: Vec<Choice>,
}

/// A column head: the stage and how many tasks it holds.
#[derive(Debug, Serialize)]
struct Head {
    key: String,
    name: String,
    count: u64,
}

#[derive(Debug, Serialize)]
struct ColumnView {
    stage: Head,
    cards: Vec<Card>,
    more: bool,
}

/// How far `tasks.edit` reaches, to tell which cards get a move form.
fn edit_scope(signed: &Signed) -> Option<Scope> {
    if signed.can(TASKS_EDIT) { signed.ctx.principal.scope(TASKS_EDIT) } else { None }
}

fn card(caller: &Caller<'_>, edit: Option<Scope>, workflow: &Workflow, task: TaskSummary) -> Card {
    let movable = match edit {
        Some(Scope::All) => true,
        Some(Scope::Own) => caller.owns(task.created_by, &task.assignees),
        None => false,
    };
    let allowed = if movable {
        workflow
            .allowed_from(&task.status)
            .into_iter()
            .filter_map(|key| workflow.stage(key))
            .map(|stage| Choice { key: stage.key.clone(), name: stage.name.clone() })
            .collect()
    } else {
        Vec::new()
    };
    Card {
        id: task.id,
        title: task.title,
        priority: task.priority,
        due_at: task.due_at,
        status: task.status,
        version: task.version,
        movable,
        allowed,
    }
}

fn heads(board: &Board) -> Vec<Head> {
    board
        .columns
        .iter()
        .map(|column| Head { key: column.status.clone(), name: column.name.clone(), count: column.count })
        .collect()
}

/// `GET /admin/tasks/board`.
pub(super) async fn board(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<BoardQuery>,
) -> Result<Response, ConsoleError> {
    let notice = match given(&query.moved).and_then(|text| Uuid::parse_str(&text).ok()) {
        Some(id) => notice_of_move(&state, &signed, id).await,
        None => None,
    };
    render_board(&state, &signed, notice, StatusCode::OK).await
}

/// A notice above the board: a refused move or a finished one.
#[derive(Debug, Serialize)]
struct Notice {
    kind: &'static str,
    text: String,
}

/// "Moved “Call Ada” to In review.", when the task is still in reach.
async fn notice_of_move(state: &AppState, signed: &Signed, id: Uuid) -> Option<Notice> {
    let caller = Caller::of(&signed.ctx, state).ok()?;
    let task = task_detail(state.db().read(), &caller, id).await.ok()?;
    let (workflow, _) = workflow_of(state.db().read(), caller.organization_id()).await.ok()?;
    let stage = workflow.stage(&task.summary.status)?;
    Some(Notice { kind: "success", text: format!("Moved “{}” to {}.", task.summary.title, stage.name) })
}

async fn render_board(
    state: &AppState,
    signed: &Signed,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let caller = Caller::of(&signed.ctx, state)?;
    let db = state.db().read();
    let filter = TaskFilter { limit: Some(CARDS_PER_COLUMN), ..TaskFilter::default() };
    let board = board_of(db, &caller, &filter).await?;
    let (workflow, _) = workflow_of(db, caller.organization_id()).await.map_err(ApiError::from)?;
    let edit = edit_scope(signed);
    let columns: Vec<ColumnView> = board
        .columns
        .into_iter()
        .map(|column| {
            let more = column.count > column.tasks.len() as u64;
            ColumnView {
                stage: Head { key: column.status, name: column.name, count: column.count },
                cards: column.tasks.into_iter().map(|task| card(&caller, edit, &workflow, task)).collect(),
                more,
            }
        })
        .collect();
    let mut response = signed.page(
        "tasks/board.html",
        vec![Crumb::link("Tasks", "/admin/tasks"), Crumb::here("Board")],
        context! {
            columns => value(&columns),
            can_move => edit.is_some(),
            shown => CARDS_PER_COLUMN,
            notice => value(&notice),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

/// The refusals a person can act on, shown on the board with their status; any other
/// error is the console's error page.
async fn refusal(
    state: &AppState,
    caller: &Caller<'_>,
    id: Uuid,
    to: &str,
    error: &ApiError,
) -> Option<(StatusCode, String)> {
    match error {
        ApiError::PreconditionFailed => Some((
            StatusCode::CONFLICT,
            "Someone changed this task since the board was loaded, so it was not moved. Reload the board and try again."
                .to_owned(),
        )),
        ApiError::Validation(errors) => Some((StatusCode::UNPROCESSABLE_ENTITY, sentences(errors, &[("status", "Stage"), ("version", "Version")]))),
        ApiError::Conflict { code: "invalid_transition", detail } => {
            let named = transition_refused(state, caller, id, to).await;
            Some((StatusCode::CONFLICT, named.unwrap_or_else(|| detail.clone())))
        }
        ApiError::Conflict { detail, .. } => Some((StatusCode::CONFLICT, detail.clone())),
        _ => None,
    }
}

/// The workflow's refusal in the stages' names: where the task may go from where it is.
async fn transition_refused(state: &AppState, caller: &Caller<'_>, id: Uuid, to: &str) -> Option<String> {
    let task = task_detail(state.db().write(), caller, id).await.ok()?;
    let (workflow, _) = workflow_of(state.db().write(), caller.organization_id()).await.ok()?;
    let name = |key: &str| workflow.stage(key).map_or_else(|| key.to_owned(), |stage| stage.name.clone());
    let from = &task.summary.status;
    let allowed: Vec<String> = workflow.allowed_from(from).into_iter().map(name).collect();
    Some(format!(
        "A task in {} cannot move to {}; it may move to {}.",
        name(from),
        name(to),
        allowed.join(" or ")
    ))
}

/// `POST /admin/tasks/{id}/status`: the API's `PATCH /tasks/{id}` with only `status`.
pub(super) async fn move_status(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(form): Form<MoveForm>,
) -> Result<Response, ConsoleError> {
    let act = signed.ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(&signed.ctx, &state)?;
    let assign = if signed.can(TASKS_ASSIGN) { signed.ctx.principal.scope(TASKS_ASSIGN) } else { None };
    let grants = Grants { act, assign };
    let to = form.status.trim().to_owned();
    let moved = async {
        let Ok(version) = form.version.trim().parse::<i32>() else {
            return Err(ApiError::invalid("version", "is missing from the form; reload the board"));
        };
        let changes = TaskChanges { status: Some(to.clone()), ..TaskChanges::default() }.check();
        let txn = state.db().write().begin().await?;
        task_update(&txn, &Links::of(&state), &caller, grants, &state.settings().tasks, id, version, changes)
            .await?;
        txn.commit().await?;
        Ok::<_, ApiError>(())
    }
    .await;
    let script = from_script(&headers);
    if let Err(error) = moved {
        let Some((status, message)) = refusal(&state, &caller, id, &to, &error).await else {
            return Err(error.into());
        };
        if script {
            return Ok(signed.console().bare(
                "tasks/board_answer.html",
                context! { message => message },
                status,
            ));
        }
        return render_board(&state, &signed, Some(Notice { kind: "error", text: message }), status).await;
    }
    if !script {
        return Ok(Redirect::to(&format!("/admin/tasks/board?moved={id}")).into_response());
    }
    // Read back from the primary: a replica may not have the move yet.
    let db = state.db().write();
    let task = task_detail(db, &caller, id).await?;
    let board = board_of(db, &caller, &TaskFilter { limit: Some(1), ..TaskFilter::default() }).await?;
    let (workflow, _) = workflow_of(db, caller.organization_id()).await.map_err(ApiError::from)?;
    let card = card(&caller, edit_scope(&signed), &workflow, task.summary);
    Ok(signed.console().bare(
        "tasks/board_answer.html",
        context! {
            card => value(&card),
            stages => value(&heads(&board)),
            csrf_token => signed.viewer.csrf_token.as_str(),
        },
        StatusCode::OK,
    ))
}
