//! `/healthz` (the process answers) and `/readyz` (it can serve: database and schema).

use std::time::Duration;

use axum::extract::State;
use baseops_core::{ApiError, AppState, Json};
use serde::Serialize;
use utoipa::ToSchema;

/// Longest a readiness check may take: probes must get an answer, not a hang.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// Answer of the health and readiness probes.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Status {
    /// `ok` or `ready`.
    status: &'static str,
    /// The running version of baseops.
    version: &'static str,
}

/// The process is alive. Never touches the database.
#[utoipa::path(get, path = "/healthz", tag = "platform", responses((status = 200, description = "The process is alive", body = Status)))]
pub(crate) async fn healthz() -> Json<Status> {
    Json(Status { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

/// The process can serve: both database pools answer and no migration is pending.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "platform",
    responses(
        (status = 200, description = "Ready to serve", body = Status),
        (status = 503, description = "Database unreachable or migrations pending", body = baseops_core::Problem,
         content_type = "application/problem+json")
    )
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    match tokio::time::timeout(READY_TIMEOUT, check(&state)).await {
        Ok(Ok(())) => Ok(Json(Status { status: "ready", version: env!("CARGO_PKG_VERSION") })),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(ApiError::Unavailable("The database did not answer in time.".to_owned())),
    }
}

async fn check(state: &AppState) -> Result<(), ApiError> {
    if let Err(error) = state.db().ping().await {
        tracing::warn!(%error, "readiness: database unreachable");
        return Err(ApiError::Unavailable("The database is unreachable.".to_owned()));
    }
    match state.migrator().is_current(state.db()).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::Unavailable("Migrations are pending; run `baseops migrate`.".to_owned())),
        Err(error) => {
            tracing::warn!(%error, "readiness: cannot read migration state");
            Err(ApiError::Unavailable("The migration state cannot be read.".to_owned()))
        }
    }
}
