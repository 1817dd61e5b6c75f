//! A lead's timeline: read it, log to it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, Json, PageQuery, Paging, Problem, Query, RequestContext};
use sea_orm::TransactionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::permission::{LEADS_EDIT, LEADS_VIEW, access_of};
use crate::selector::Page;
use crate::selector::activity::{ActivityOut, SORT, activities_of};
use crate::selector::lead::lead_get;
use crate::service::activity::{NewActivity, activity_log};

/// A lead's timeline, most recently recorded first: notes, calls, meetings, e-mails, stage
/// changes, assignments, merges, conversion, linked tasks.
#[utoipa::path(get, path = "/leads/{id}/activities", operation_id = "leads_activities", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id"), PageQuery), responses(
        (status = 200, description = "A page of activities", body = Page<ActivityOut>),
        (status = 400, description = "Bad cursor", body = Problem),
        (status = 403, description = "Requires leads.view", body = Problem),
        (status = 404, description = "No such lead within reach", body = Problem),
    ))]
pub(crate) async fn activities(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<ActivityOut>>, ApiError> {
    let access = access_of(&ctx, LEADS_VIEW)?;
    let db = state.db().read();
    lead_get(db, &access, id).await?;
    let paging = Paging::new(query.limit, query.cursor.as_deref(), SORT)?;
    Ok(Json(activities_of(db, &access, id, &paging).await?))
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
    responses(
        (status = 201, description = "Logged", body = Logged),
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
    let access = access_of(&ctx, LEADS_EDIT)?;
    let entry = input.check(chrono::Utc::now()).map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let activity = activity_log(&txn, ctx.acting(), &access, id, entry).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(Logged { id: activity })))
}
