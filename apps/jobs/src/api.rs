//! `GET /jobs`, `POST /jobs/{id}/retry`, `POST /jobs/retry-dead`: the queue for superusers.

use axum::extract::{Path, State};
use baseops_core::{ApiError, AppState, Json, Page, Paging, Problem, Query, RequestContext};
use baseops_jobs::admin::{MAX_LIST, list, retry_dead};
use baseops_jobs::model::job;
use baseops_jobs::queue::state;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(jobs)).routes(routes!(retry)).routes(routes!(retry_all))
}

fn superuser(ctx: &RequestContext) -> Result<(), ApiError> {
    if ctx.principal.is_superuser { Ok(()) } else { Err(ApiError::Forbidden) }
}

/// A job as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobOut {
    /// Id.
    pub id: Uuid,
    /// Job type.
    pub name: String,
    /// Queue.
    pub queue: String,
    /// `pending`, `queued` (in Redis), `running`, `done` or `dead`.
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// The organization it works for.
    pub organization_id: Option<Uuid>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Enqueued at.
    pub created_at: DateTime<Utc>,
    /// Done or dead at.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<job::Model> for JobOut {
    fn from(row: job::Model) -> Self {
        Self {
            id: row.id,
            name: row.name,
            queue: row.queue,
            state: row.state,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            run_at: row.run_at,
            last_error: row.last_error,
            organization_id: row.organization_id,
            request_id: row.request_id,
            created_at: row.created_at,
            finished_at: row.finished_at,
        }
    }
}

/// Filters of `GET /jobs`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// Only jobs in this state.
    state: Option<String>,
    /// Page size, 1–500 (default 50).
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The order cursors of the list are made for.
pub(crate) const SORT: &str = "-created";

/// Jobs, newest first.
#[utoipa::path(get, path = "/jobs", operation_id = "jobs_list", tag = "jobs", params(JobQuery), responses(
        (status = 200, description = "A page of jobs, newest first", body = Page<JobOut>),
        (status = 400, description = "A cursor that is not from this list (invalid_cursor)", body = Problem),
        (status = 403, description = "Superusers only", body = Problem),
        (status = 422, description = "Unknown state or bad limit", body = Problem),
    ))]
async fn jobs(
    State(app): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<JobQuery>,
) -> Result<Json<Page<JobOut>>, ApiError> {
    superuser(&ctx)?;
    if let Some(wanted) = &query.state
        && !state::ALL.contains(&wanted.as_str())
    {
        return Err(ApiError::invalid("state", "must be pending, queued, running, done or dead"));
    }
    let paging = Paging::bounded(query.limit, query.cursor.as_deref(), SORT, 50, MAX_LIST)?;
    let before = paging.after.as_ref().map(|after| after.id);
    let rows = list(app.db().read(), query.state.as_deref(), before, paging.fetch()).await?;
    Ok(Json(paging.page(rows, SORT, |row| (serde_json::Value::Null, row.id), JobOut::from)))
}

/// How many jobs were put back in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    /// Count.
    pub retried: u64,
}

/// Puts a dead job back in the queue with fresh attempts.
#[utoipa::path(post, path = "/jobs/{id}/retry", operation_id = "jobs_retry", tag = "jobs", params(("id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "Retried", body = Retried),
        (status = 403, description = "Superusers only", body = Problem),
        (status = 404, description = "No dead job with this id", body = Problem),
    ))]
async fn retry(
    State(app): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<Json<Retried>, ApiError> {
    superuser(&ctx)?;
    match retry_dead(app.db().write(), Some(id)).await? {
        0 => Err(ApiError::NotFound),
        retried => Ok(Json(Retried { retried })),
    }
}

/// Puts every dead job back in the queue.
#[utoipa::path(post, path = "/jobs/retry-dead", operation_id = "jobs_retry_all", tag = "jobs", responses(
        (status = 200, description = "Retried", body = Retried),
        (status = 403, description = "Superusers only", body = Problem),
    ))]
async fn retry_all(State(app): State<AppState>, ctx: RequestContext) -> Result<Json<Retried>, ApiError> {
    superuser(&ctx)?;
    Ok(Json(Retried { retried: retry_dead(app.db().write(), None).await? }))
}
