//! `POST /analytics/events` (any member with `analytics.track`: the console and
//! integrators) and `GET /analytics/kpis` (`analytics.view`), read from the aggregates only.

use axum::extract::State;
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, Json, Problem, Query, RequestContext};
use chrono::{NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::permission::{ANALYTICS_TRACK, ANALYTICS_VIEW};
use crate::selector::{self, KpiSeries};
use crate::track::{TrackBatch, record};

/// Longest range `GET /analytics/kpis` answers, in days.
pub const MAX_RANGE_DAYS: i64 = 366;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(track)).routes(routes!(kpis))
}

/// How many events were recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = AnalyticsTracked)]
pub struct Tracked {
    /// The batch's events, all of them.
    pub recorded: u64,
}

/// Records a batch of events for the caller's organization, the caller as their actor. The
/// batch is recorded whole or not at all.
#[utoipa::path(post, path = "/analytics/events", operation_id = "analytics_track", tag = "analytics",
    request_body = TrackBatch, responses(
        (status = 202, description = "Recorded; the aggregates count them at their next run", body = Tracked),
        (status = 403, description = "Requires analytics.track", body = Problem),
        (status = 422, description = "More than 100 events, a bad name, property or time (each at its path, e.g. events[3].name)", body = Problem),
    ))]
async fn track(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(batch): Json<TrackBatch>,
) -> Result<(StatusCode, Json<Tracked>), ApiError> {
    ctx.require(ANALYTICS_TRACK)?;
    let organization_id = ctx.organization_id()?;
    let events =
        batch.check(organization_id, Some(ctx.user_id()), Utc::now()).map_err(ApiError::Validation)?;
    let total = events.len() as u64;
    record(state.db().write(), events).await?;
    Ok((StatusCode::ACCEPTED, Json(Tracked { recorded: total })))
}

/// The range of the KPIs.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    from: Option<NaiveDate>,
    /// Last day (default: today, UTC).
    to: Option<NaiveDate>,
}

/// The KPIs over a range of days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = AnalyticsKpis)]
pub struct Kpis {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Every series with a figure in the range.
    pub series: Vec<KpiSeries>,
}

/// The organization's KPI series over at most 366 days, from the daily aggregates (at most
/// an hour behind; see `analytics.aggregate`).
#[utoipa::path(get, path = "/analytics/kpis", operation_id = "analytics_kpis", tag = "analytics",
    params(KpiQuery), responses(
        (status = 200, description = "The series", body = Kpis),
        (status = 403, description = "Requires analytics.view", body = Problem),
        (status = 422, description = "from after to, or a range over 366 days", body = Problem),
    ))]
async fn kpis(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<KpiQuery>,
) -> Result<Json<Kpis>, ApiError> {
    ctx.require(ANALYTICS_VIEW)?;
    let organization_id = ctx.organization_id()?;
    let to = query.to.unwrap_or_else(|| Utc::now().date_naive());
    // Checked: a date at the end of the calendar must be a 422, not a panic.
    let from = query.from.unwrap_or_else(|| to.checked_sub_signed(TimeDelta::days(29)).unwrap_or(to));
    if from > to {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(ApiError::invalid("from", "the range may span at most 366 days"));
    }
    let series = selector::kpis(state.db().read(), organization_id, from, to).await?;
    Ok(Json(Kpis { from, to, series }))
}
