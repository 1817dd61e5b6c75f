//! Moving the tasks ticked on the list to one stage, all or none: the same check and service
//! as `POST /tasks/bulk/status`. The form posts to the list's own URL filters (its query
//! string), so a refusal shows the same list with the reason above it.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use baseops_console::form::{Failure, all, done, one};
use baseops_console::{ConsoleError, Signed};
use baseops_core::{ApiError, AppState, Links};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{ListForm, render_list};
use crate::caller::Caller;
use crate::permission::TASKS_EDIT;
use crate::service::bulk::{MAX_BULK, StatusInput, tasks_set_status};

/// `POST /admin/tasks/bulk?<the list's filters>`: `ids` ticked, `to` the stage.
pub(super) async fn move_tasks(
    State(state): State<AppState>,
    signed: Signed,
    Query(list): Query<ListForm>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let edit = ctx.require(TASKS_EDIT)?;
    let caller = Caller::of(ctx, &state)?;
    let moved = async {
        // One more than allowed is enough for the check to refuse the lot.
        let ids = all(&fields, "ids")
            .take(MAX_BULK + 1)
            .map(str::parse)
            .collect::<Result<Vec<Uuid>, _>>()
            .map_err(|_| ApiError::invalid("ids", "must be tasks of the list"))?;
        if ids.is_empty() {
            return Err(ApiError::invalid("ids", "tick at least one task"));
        }
        let change = StatusInput { ids, status: one(&fields, "to").to_owned() }
            .check()
            .map_err(ApiError::Validation)?;
        let txn = state.db().write().begin().await?;
        tasks_set_status(&txn, &Links::of(&state), &caller, edit, &state.settings().tasks, change).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match moved.await {
        Ok(()) => Ok(done(&list.first_page(), "moved")),
        Err(error) => render_list(&state, &signed, &list, Some(Failure::of("bulk", error)?)).await,
    }
}
