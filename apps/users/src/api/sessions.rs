//! `GET /me/sessions` and `DELETE /me/sessions/{id}`: where one is signed in, and ending a
//! session one does not recognise. Session only: a token does not see or end sessions.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use baseops_core::{ApiError, AppState, Json, Problem, RequestContext};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::current_session;
use crate::model::session;
use crate::service::session::session_revoke;
use crate::session_store::SessionStore;

/// A live session, as its owner sees it: never its token or CSRF token.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    /// Id, for `DELETE /me/sessions/{id}`.
    pub id: Uuid,
    /// The address it logged in from.
    pub ip: Option<String>,
    /// The browser it logged in with.
    pub user_agent: Option<String>,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Last use (to the minute).
    pub last_seen_at: DateTime<Utc>,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// Whether this request was made with it.
    pub current: bool,
}

pub(crate) fn session_out(row: session::Model, current: Uuid) -> SessionOut {
    SessionOut {
        current: row.id == current,
        id: row.id,
        ip: row.ip,
        user_agent: row.user_agent,
        created_at: row.created_at,
        last_seen_at: row.last_seen_at,
        expires_at: row.expires_at,
    }
}

/// The current user's live sessions, the most recently used first (at most 200).
#[utoipa::path(get, path = "/me/sessions", operation_id = "me_sessions_list", tag = "me", security(("session" = [])),
    responses(
        (status = 200, description = "Live sessions", body = [SessionOut]),
        (status = 403, description = "Not a session (session_required)", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
) -> Result<Json<Vec<SessionOut>>, ApiError> {
    let current = current_session(&state, &ctx, &headers).await?;
    let sessions = SessionStore::of(&state)
        .list_for_user(state.db().read(), state.settings(), ctx.user_id(), Utc::now())
        .await?;
    Ok(Json(sessions.into_iter().map(|row| session_out(row, current.id)).collect()))
}

/// Ends one of the current user's sessions (the current one too: that is a logout).
#[utoipa::path(delete, path = "/me/sessions/{id}", operation_id = "me_sessions_revoke", tag = "me",
    params(("id" = Uuid, Path, description = "Session id")), security(("session" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 403, description = "Not a session (session_required)", body = Problem),
        (status = 404, description = "No live session of yours has this id", body = Problem),
    ))]
pub(super) async fn revoke(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    current_session(&state, &ctx, &headers).await?;
    let sessions = SessionStore::of(&state);
    session_revoke(state.db(), &sessions, state.settings(), ctx.acting(), ctx.user_id(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
