//! A lead's timeline: read it, log to it.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, Json, Problem, RequestContext};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::permission::{Access, LEADS_EDIT, LEADS_VIEW};
use crate::selector::activity::{ActivityOut, activities_of};
use crate::selector::lead::lead_get;
use crate::selector::{DEFAULT_LIMIT, Page};
use crate::service::activity::{NewActivity, activity_log};

/// Paging of the timeline.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A lead's timeline, most recently recorded first: notes, calls, meetings, e-mails, stage
/// changes, assignments, merges, conversion, linked tasks.
#[utoipa::path(get, path = "/leads/{id}/activities", operation_id = "leads_activities", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id"), TimelineQuery), security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of activities", body = Page<ActivityOut>),
        (status = 400, description = "Bad cursor", body = Problem),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Requires leads.view", body = Problem),
        (status = 404, description = "No such lead within reach", body = Problem),
    ))]
pub(crate) async fn activities(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Query(query): Query<TimelineQuery>,
) -> Result<Json<Page<ActivityOut>>, ApiError> {
    let access = Access::of(&ctx, LEADS_VIEW)?;
    let db = state.db().read();
    lead_get(db, &access, id).await?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    Ok(Json(activities_of(db, &access, id, limit, query.cursor.as_deref()).await?))
}

/// The logged activity's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct Logged {
    /// The activity.
    pub id: Uuid,
}

/// Logs a note, call, meeting or e-mail on a lead.
#[utoipa::path(post, path = "/leads/{id}/activities", operation_id = "leads_log_activity", tag = "leads",
    request_body = NewActivity, params(("id" = Uuid, Path, description = "Lead id")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "Logged", body = Logged),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Requires leads.edit on this lead", body = Problem),
        (status = 404, description = "No such lead within reach", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub(crate) async fn log_activity(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Json(input): Json<NewActivity>,
) -> Result<(StatusCode, Json<Logged>), ApiError> {
    let access = Access::of(&ctx, LEADS_EDIT)?;
    let txn = state.db().write().begin().await?;
    let activity = activity_log(&txn, ctx.acting(), &access, id, input).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(Logged { id: activity })))
}
