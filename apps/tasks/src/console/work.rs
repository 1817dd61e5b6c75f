//! "Your tasks" on the console's home page: the open tasks assigned to the signed-in person,
//! how many are overdue, and the five due soonest — worked out from the tasks most recently
//! assigned to them ([`recently_assigned`], a window of [`WINDOW`]), so it costs the same for
//! a person given a hundred thousand tasks; past a full window the counts say `+`.

use baseops_app::{SearchHit, WorkCard, WorkFigure};
use baseops_core::{ApiError, AppState, BoundedCount, RequestContext};
use chrono::Utc;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use crate::caller::Caller;
use crate::permission::TASKS_VIEW;
use crate::selector::work::recently_assigned;
use crate::selector::workflow_of;
use crate::workflow::Workflow;

/// The most recently assigned tasks the card looks at.
const WINDOW: u64 = 500;
/// Tasks listed on the card.
const SHOWN: usize = 5;

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
        let (tasks, full) =
            recently_assigned(db, &caller, ctx.user_id(), WINDOW).await.map_err(ApiError::from)?;
        let now = Utc::now();
        let mut open: Vec<_> = tasks.into_iter().filter(|task| workflow.is_open(&task.status)).collect();
        let overdue = open.iter().filter(|task| task.due_at.is_some_and(|due| due < now)).count();
        // Due soonest first, undated last.
        open.sort_by_key(|task| (task.due_at.is_none(), task.due_at, task.id));
        let counted = |count: usize| BoundedCount { count: count as u64, exact: !full };
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
                WorkFigure::of("open", counted(open.len()), list_url),
                WorkFigure::of("overdue", counted(overdue), "/admin/tasks?mine=1&overdue=1&sort=due")
                    .warning(),
            ],
            items: open
                .into_iter()
                .take(SHOWN)
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
