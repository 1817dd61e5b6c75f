//! "Your tasks" on the console's home page: the open tasks assigned to the signed-in person,
//! how many are overdue, and the five due soonest. Two bounded counts and one short page from
//! the list's own selector, so it costs the same at a million tasks.

use baseops_app::{SearchHit, WorkCard, WorkFigure};
use baseops_core::{ApiError, AppState, RequestContext};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use crate::caller::Caller;
use crate::permission::TASKS_VIEW;
use crate::selector::{Sort, TaskFilter, count, list, workflow_of};
use crate::workflow::Workflow;

/// Tasks counted exactly up to this many; beyond it the card says "1000+".
const COUNT_BOUND: u64 = 1000;
/// Tasks listed on the card.
const SHOWN: u64 = 5;

/// The workflow's stages a task is still open in: all but done and cancelled.
pub(super) fn open_stages(workflow: &Workflow) -> Vec<String> {
    workflow.open_stages().map(|stage| stage.key.clone()).collect()
}

/// The signed-in person's card, or `None` without `tasks.view`.
pub(super) fn work(
    state: AppState,
    ctx: RequestContext,
) -> BoxFuture<'static, Result<Option<WorkCard>, ApiError>> {
    async move {
        if !ctx.can(TASKS_VIEW) {
            return Ok(None);
        }
        let caller = Caller::of(&ctx, &state)?;
        let db = state.db().read();
        let (workflow, _) = workflow_of(db, caller.organization_id()).await.map_err(ApiError::from)?;
        let mine = TaskFilter {
            statuses: open_stages(&workflow),
            assignee: Some(ctx.user_id()),
            sort: Sort::DueAsc,
            limit: Some(SHOWN),
            ..TaskFilter::default()
        };
        let overdue = TaskFilter { overdue: Some(true), ..mine.clone() };
        let open_count = count(db, &caller, &mine, COUNT_BOUND).await.map_err(ApiError::from)?;
        let overdue_count = count(db, &caller, &overdue, COUNT_BOUND).await.map_err(ApiError::from)?;
        let first = list(db, &caller, &mine).await?;
        let stage_name = |key: &str| {
            workflow
                .stages
                .iter()
                .find(|stage| stage.key == key)
                .map_or_else(|| key.to_owned(), |s| s.name.clone())
        };
        let list_url = "/admin/tasks?mine=1&open=1&sort=due";
        Ok(Some(WorkCard {
            title: "Your tasks".to_owned(),
            url: list_url.to_owned(),
            figures: vec![
                WorkFigure::of("open", open_count, list_url),
                WorkFigure::of("overdue", overdue_count, "/admin/tasks?mine=1&overdue=1&sort=due").warning(),
            ],
            items: first
                .items
                .into_iter()
                .map(|task| SearchHit {
                    kind: "Task",
                    subtitle: match task.due_at {
                        Some(due) => format!("{} · due {}", stage_name(&task.status), due.format("%Y-%m-%d")),
                        None => stage_name(&task.status),
                    },
                    title: task.title,
                    url: format!("/admin/tasks/{}", task.id),
                })
                .collect(),
            empty: "Nothing open is assigned to you.".to_owned(),
        }))
    }
    .boxed()
}
