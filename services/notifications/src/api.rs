//! The signed-in user's notifications: list, unread count, mark read, preferences, and the
//! live stream (Server-Sent Events). Every endpoint acts on the caller's own notifications
//! only; no permission is needed, but a session is: a person's inbox and how they are reached
//! are theirs, not an API token's (403 `session_required`).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use baseops_core::{ApiError, AppState, ETag, Json, OptionalIfMatch, Paging, Problem, Query, RequestContext};
use futures_util::Stream;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::live::{Hub, Pushed, Subscription};
use crate::selector::{self, ANY_KIND, Channels, Filter, NotificationPage, SORT};
use crate::service;

/// How many missed notifications a reconnecting stream is sent at most.
const MAX_REPLAY: u64 = 100;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(unread_count))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
        .routes(routes!(preferences))
        .routes(routes!(set_preference, reset_preference))
        .routes(routes!(stream))
}

/// List filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only unread notifications.
    unread: Option<bool>,
    /// Only this organization's notifications.
    organization_id: Option<Uuid>,
    /// Page size, 1–200 (default 50).
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The caller's notifications, newest first, with their unread count.
#[utoipa::path(get, path = "/notifications", operation_id = "notifications_list", tag = "notifications", security(("session" = [])),
    params(ListQuery), responses(
        (status = 403, description = "Not a session: an API token cannot reach one's notifications (session_required)", body = Problem),
        (status = 200, description = "A page; `next_cursor` fetches the next", body = NotificationPage),
        (status = 400, description = "A cursor that is not from this list", body = Problem),
        (status = 422, description = "Bad limit", body = Problem),
    ))]
async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<ListQuery>,
) -> Result<Json<NotificationPage>, ApiError> {
    ctx.require_session()?;
    let filter = Filter {
        unread_only: query.unread.unwrap_or(false),
        organization_id: query.organization_id,
        paging: Paging::new(query.limit, query.cursor.as_deref(), SORT)?,
    };
    Ok(Json(selector::list(state.db().read(), ctx.user_id(), &filter).await?))
}

/// Unread notifications.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Unread {
    /// How many.
    pub unread: u64,
}

/// Organization filter of the count and of mark-all-read.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationQuery {
    /// Only this organization's notifications.
    organization_id: Option<Uuid>,
}

/// How many notifications the caller has not read.
#[utoipa::path(get, path = "/notifications/unread-count", operation_id = "notifications_unread_count",
    tag = "notifications", security(("session" = [])), params(OrganizationQuery), responses(
        (status = 403, description = "Not a session: an API token cannot reach one's notifications (session_required)", body = Problem),
        (status = 200, description = "The count", body = Unread),
    ))]
async fn unread_count(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<OrganizationQuery>,
) -> Result<Json<Unread>, ApiError> {
    ctx.require_session()?;
    let unread = selector::unread_count(state.db().read(), ctx.user_id(), query.organization_id).await?;
    Ok(Json(Unread { unread }))
}

/// Marks one notification read (again: no change).
#[utoipa::path(post, path = "/notifications/{id}/read", operation_id = "notifications_mark_read",
    tag = "notifications", security(("session" = [])), params(("id" = Uuid, Path, description = "The notification")),
    responses(
        (status = 403, description = "Not a session: an API token cannot reach one's notifications (session_required)", body = Problem),
        (status = 204, description = "Read"),
        (status = 404, description = "No such notification of yours", body = Problem),
    ))]
async fn mark_read(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    ctx.require_session()?;
    if service::mark_read(state.db().write(), ctx.user_id(), id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Notifications marked read.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Marked {
    /// How many were unread.
    pub marked: u64,
}

/// Marks every unread notification read (only one organization's with `organization_id`).
#[utoipa::path(post, path = "/notifications/read-all", operation_id = "notifications_mark_all_read",
    tag = "notifications", security(("session" = [])), params(OrganizationQuery), responses(
        (status = 403, description = "Not a session: an API token cannot reach one's notifications (session_required)", body = Problem),
        (status = 200, description = "How many were marked", body = Marked),
    ))]
async fn mark_all_read(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<OrganizationQuery>,
) -> Result<Json<Marked>, ApiError> {
    ctx.require_session()?;
    let marked = service::mark_all_read(state.db().write(), ctx.user_id(), query.organization_id).await?;
    Ok(Json(Marked { marked }))
}

/// One kind's channels.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreferenceOut {
    /// The kind (`task.assigned`), or `*` for every kind without its own.
    pub kind: String,
    /// Its channels.
    #[serde(flatten)]
    pub channels: Channels,
    /// Bumped by every write: send it as `If-Match: "<version>"` to change the preference.
    pub version: i32,
}

impl From<&crate::model::preference::Model> for PreferenceOut {
    fn from(row: &crate::model::preference::Model) -> Self {
        Self { kind: row.kind.clone(), channels: Channels::from(row), version: row.version }
    }
}

/// The caller's preferences.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreferencesOut {
    /// What applies to kinds without their own preference: the `*` row, or in-app only.
    pub default: Channels,
    /// The version of the `*` row when you have set one (`If-Match` for
    /// `PUT /notifications/preferences/*`); `null` while the built-in default applies.
    pub default_version: Option<i32>,
    /// Kinds with their own preference.
    pub kinds: Vec<PreferenceOut>,
}

/// The caller's notification preferences.
#[utoipa::path(get, path = "/notifications/preferences", operation_id = "notifications_preferences",
    tag = "notifications", security(("session" = [])), responses(
        (status = 403, description = "Not a session: an API token cannot reach one's notifications (session_required)", body = Problem),
        (status = 200, description = "The default and each kind's own channels", body = PreferencesOut),
    ))]
async fn preferences(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<PreferencesOut>, ApiError> {
    ctx.require_session()?;
    let rows = selector::preferences_of(state.db().read(), [ctx.user_id()]).await?;
    let default = selector::effective(&rows, ctx.user_id(), ANY_KIND);
    let default_version = rows.iter().find(|row| row.kind == ANY_KIND).map(|row| row.version);
    let kinds = rows.iter().filter(|row| row.kind != ANY_KIND).map(PreferenceOut::from).collect();
    Ok(Json(PreferencesOut { default, default_version, kinds }))
}

/// Sets the caller's channels for one kind (`*`: their default). `If-Match` is optional:
/// with it, an existing preference changes only at that version, and a missing one is not
/// created (412); without it, the preference is created or overwritten.
#[utoipa::path(put, path = "/notifications/preferences/{kind}", operation_id = "notifications_set_preference",
    tag = "notifications", security(("session" = [])), request_body = Channels,
    params(("kind" = String, Path, description = "A kind such as task.assigned, or * for the default", pattern = "^(\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*)$", max_length = 64),
        ("If-Match" = Option<String>, Header, description = "Only if the preference exists at this version, e.g. \"3\"")),
    responses(
        (status = 403, description = "Not a session: an API token cannot reach one's notifications (session_required)", body = Problem),
        (status = 200, description = "Set", body = PreferenceOut, headers(("ETag" = String, description = "The preference's version now"))),
        (status = 412, description = "Changed since read, or no such preference to match (version_mismatch)", body = Problem),
        (status = 422, description = "Malformed kind or body", body = Problem),
    ))]
async fn set_preference(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(kind): Path<String>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(channels): Json<Channels>,
) -> Result<(ETag, Json<PreferenceOut>), ApiError> {
    ctx.require_session()?;
    let txn = state.db().write().begin().await?;
    let row = service::set_preference(&txn, ctx.acting(), ctx.user_id(), &kind, expected, channels).await?;
    txn.commit().await?;
    Ok((ETag(row.version), Json(PreferenceOut::from(&row))))
}

/// Removes the caller's own channels for one kind, so their default applies.
#[utoipa::path(delete, path = "/notifications/preferences/{kind}", operation_id = "notifications_reset_preference",
    tag = "notifications", security(("session" = [])),
    params(("kind" = String, Path, description = "A kind such as task.assigned, or * for the default", pattern = "^(\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*)$", max_length = 64)),
    responses(
        (status = 403, description = "Not a session: an API token cannot reach one's notifications (session_required)", body = Problem),
        (status = 204, description = "Removed"),
        (status = 404, description = "No preference of this kind", body = Problem),
        (status = 422, description = "Malformed kind", body = Problem),
    ))]
async fn reset_preference(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(kind): Path<String>,
) -> Result<StatusCode, ApiError> {
    ctx.require_session()?;
    let txn = state.db().write().begin().await?;
    let removed = service::reset_preference(&txn, ctx.acting(), ctx.user_id(), &kind).await?;
    txn.commit().await?;
    if removed { Ok(StatusCode::NO_CONTENT) } else { Err(ApiError::NotFound) }
}

/// New notifications as they are created, as Server-Sent Events.
///
/// Events: `unread` first (data `{"unread": n}`), then one `notification` per new notification
/// (its `id` is the notification's id, data as in the list), and `resync` when the stream fell
/// behind (fetch the list). A client reconnecting with `Last-Event-ID` first receives what it
/// missed (up to 100). Comments keep the connection alive every 15 s.
#[utoipa::path(get, path = "/notifications/stream", operation_id = "notifications_stream",
    tag = "notifications", security(("session" = [])), params(("Last-Event-ID" = Option<String>, Header, description = "The last notification id received")),
    responses(
        (status = 403, description = "Not a session: an API token cannot reach one's notifications (session_required)", body = Problem),
        (status = 200, description = "An event stream", content_type = "text/event-stream"),
        (status = 400, description = "Last-Event-ID is not a notification id", body = Problem),
        (status = 429, description = "Too many open streams for this user", body = Problem),
        (status = 503, description = "Live push is not set up in this process", body = Problem),
    ))]
async fn stream(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    ctx.require_session()?;
    let hub =
        state.extension::<Hub>().ok_or_else(|| ApiError::Unavailable("live notifications are off".into()))?;
    let last = match headers.get("last-event-id") {
        Some(value) => Some(value.to_str().ok().and_then(|text| text.parse::<Uuid>().ok()).ok_or(
            ApiError::BadRequest {
                code: "invalid_last_event_id",
                detail: "Last-Event-ID is not a notification id".into(),
            },
        )?),
        None => None,
    };
    let user_id = ctx.user_id();
    // Subscribe before reading the backlog, so nothing created in between is missed.
    let subscription = hub.subscribe(user_id).ok_or(ApiError::RateLimited { retry_after_secs: 30 })?;
    let db = state.db().read();
    let mut first: VecDeque<Event> = VecDeque::new();
    let unread = selector::unread_count(db, user_id, None).await?;
    first.push_back(
        Event::default().event("unread").data(serde_json::json!({ "unread": unread }).to_string()),
    );
    let mut replayed = None;
    if let Some(last) = last {
        for row in selector::after(db, user_id, last, MAX_REPLAY).await? {
            replayed = Some(row.id);
            first.push_back(notification_event(&Pushed::of(&row)));
        }
    }
    let events = futures_util::stream::unfold(
        Streaming { first, subscription, replayed, done: false },
        |mut streaming| async move {
            let event = streaming.next().await?;
            Some((Ok(event), streaming))
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn notification_event(pushed: &Pushed) -> Event {
    Event::default().event("notification").id(pushed.id.to_string()).data(pushed.json.clone())
}

struct Streaming {
    first: VecDeque<Event>,
    subscription: Subscription,
    /// The newest replayed id: a push of it or older is a duplicate.
    replayed: Option<Uuid>,
    done: bool,
}

impl Streaming {
    async fn next(&mut self) -> Option<Event> {
        if let Some(event) = self.first.pop_front() {
            return Some(event);
        }
        loop {
            if self.done || *self.subscription.closing.borrow() {
                return None;
            }
            tokio::select! {
                pushed = self.subscription.pushes.recv() => match pushed {
                    Ok(pushed) => {
                        if self.replayed.is_some_and(|replayed| pushed.id <= replayed) {
                            continue;
                        }
                        return Some(notification_event(&Arc::clone(&pushed)));
                    }
                    Err(RecvError::Lagged(_)) => return Some(Event::default().event("resync").data("{}")),
                    Err(RecvError::Closed) => self.done = true,
                },
                _ = self.subscription.closing.changed() => self.done = true,
            }
        }
    }
}
