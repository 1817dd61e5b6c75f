//! The tasks app's JSON API under `/api/v1/tasks`. Handlers authorize (`tasks.*` with its
//! scope), call one service or selector, and answer; they hold no rules of their own.

pub(crate) mod attachments;
mod comments;
mod tasks;
mod workflow;

use baseops_core::{AppState, RequestContext, Scope};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crate::service::bulk::{AssignInput, StatusInput};
pub use tasks::{BulkResult, TaskQuery};
pub use workflow::WorkflowOut;

/// Every route of the tasks app.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tasks::list, tasks::create))
        .routes(routes!(tasks::board))
        .routes(routes!(tasks::bulk_status))
        .routes(routes!(tasks::bulk_assign))
        .routes(routes!(workflow::get_workflow, workflow::put_workflow))
        .routes(routes!(tasks::detail, tasks::update, tasks::delete))
        .routes(routes!(tasks::activity))
        .routes(routes!(comments::list, comments::create))
        .routes(routes!(comments::update, comments::delete))
        .routes(routes!(attachments::list, attachments::upload))
        .routes(routes!(attachments::download, attachments::delete))
}

/// The scope the caller holds `permission` with, if any (no error when they lack it).
pub(crate) fn scope_of(ctx: &RequestContext, permission: &str) -> Option<Scope> {
    if ctx.can(permission) { ctx.principal.scope(permission) } else { None }
}
