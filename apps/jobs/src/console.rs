//! The job queue in the console, for platform staff (like `/api/v1/jobs`): jobs by state,
//! newest first, their last error, and putting dead ones back in the queue.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baseops_app::{ConsolePage, ConsoleSection};
use baseops_console::list::{first_page, given};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, Paging};
use baseops_jobs::admin::{MAX_LIST, list, retry_dead};
use baseops_jobs::queue::state;
use serde::Deserialize;
use uuid::Uuid;

use crate::api::{JobOut, SORT};

/// What the jobs app adds to the console.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[ConsolePage { path: "jobs", title: "Jobs", permission: Some(ConsolePage::SUPERUSERS) }],
    routes,
    templates: &[("jobs/list.html", include_str!("../templates/jobs/list.html"))],
    search: None,
    work: None,
};

fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs", get(jobs))
        .route("/admin/jobs/{id}/retry", post(retry))
        .route("/admin/jobs/retry-dead", post(retry_all))
}

fn superuser(signed: &Signed) -> Result<(), ConsoleError> {
    if signed.viewer.is_superuser { Ok(()) } else { Err(ApiError::Forbidden.into()) }
}

/// The filter form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JobsForm {
    state: String,
    cursor: String,
}

async fn jobs(
    State(app): State<AppState>,
    signed: Signed,
    Query(form): Query<JobsForm>,
) -> Result<Response, ConsoleError> {
    superuser(&signed)?;
    let wanted = given(&form.state);
    if let Some(wanted) = &wanted
        && !state::ALL.contains(&wanted.as_str())
    {
        return Err(ApiError::invalid("state", "must be pending, queued, running, done or dead").into());
    }
    let paging = Paging::bounded(None, given(&form.cursor).as_deref(), SORT, 50, MAX_LIST)?;
    let before = paging.after.as_ref().map(|after| after.id);
    let rows =
        list(app.db().read(), wanted.as_deref(), before, paging.fetch()).await.map_err(ApiError::from)?;
    let page = paging.page(rows, SORT, |row| (serde_json::Value::Null, row.id), JobOut::from);
    let schedules = schedules(&app);
    Ok(signed.page(
        "jobs/list.html",
        vec![Crumb::here("Jobs")],
        context! {
            page => value(&page),
            states => state::ALL,
            state => form.state.trim(),
            first_page => first_page("/admin/jobs", &[("state", &form.state)]),
            paged => !form.cursor.is_empty(),
            schedules => schedules,
        },
    ))
}

/// The build's recurring schedules as the settings make them, each with its next run — what
/// `baseops jobs schedules` prints. Empty for a build without its composition (tests of a
/// single router).
fn schedules(app: &AppState) -> Vec<baseops_console::Value> {
    let Some(apps) = app.extension::<baseops_app::Apps>() else { return Vec::new() };
    let Ok(schedules) = baseops_jobs::schedule::resolve(&apps.schedules(), &app.settings().jobs) else {
        return Vec::new();
    };
    let now = chrono::Utc::now();
    schedules
        .iter()
        .map(|schedule| {
            context! {
                name => schedule.name,
                cron => schedule.expression.as_str(),
                timezone => schedule.timezone.to_string(),
                next => schedule.next_tick(now).map(|tick| tick.to_rfc3339()),
            }
        })
        .collect()
}

async fn retry(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    superuser(&signed)?;
    match retry_dead(app.db().write(), Some(id)).await.map_err(ApiError::from)? {
        0 => Err(ApiError::NotFound.into()),
        _ => Ok(Redirect::to("/admin/jobs?state=dead").into_response()),
    }
}

async fn retry_all(State(app): State<AppState>, signed: Signed) -> Result<Response, ConsoleError> {
    superuser(&signed)?;
    retry_dead(app.db().write(), None).await.map_err(ApiError::from)?;
    Ok(Redirect::to("/admin/jobs?state=pending").into_response())
}
