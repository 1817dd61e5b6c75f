//! `GET /audit/events` (a page, newest first) and `GET /audit/events/export` (every matching
//! event as CSV or JSON Lines, streamed page by page). Both need `audit.view` and read the
//! active organization's chain only.

use axum::extract::State;
use axum::response::Response;
use baseops_core::{ApiError, AppState, Json, Problem, Query, RequestContext};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::permission::AUDIT_VIEW;
use crate::selector::{AuditEvent, EventFilter, MAX_LIMIT, Page, list};

/// The audit app's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events)).routes(routes!(export))
}

/// Filters shared by the list and the export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only this actor (user id, token id or system actor name).
    pub(crate) actor_id: Option<String>,
    /// Only this entity type (`lead`, `user`).
    pub(crate) entity_type: Option<String>,
    /// Only this entity id (with `entity_type`).
    pub(crate) entity_id: Option<String>,
    /// Only this action (`lead.update`).
    pub(crate) action: Option<String>,
    /// From this time on (inclusive).
    pub(crate) since: Option<DateTime<Utc>>,
    /// Before this time (exclusive).
    pub(crate) until: Option<DateTime<Utc>>,
    /// Page size, 1–200 (default 50). List only.
    pub(crate) limit: Option<u64>,
    /// `next_cursor` of the previous page. List only.
    pub(crate) cursor: Option<String>,
    /// `csv` (default) or `jsonl`. Export only.
    #[param(pattern = "^(csv|jsonl)$")]
    pub(crate) format: Option<String>,
}

const MAX_FILTER_LEN: usize = 128;

pub(crate) fn filter(ctx: &RequestContext, query: EventQuery) -> Result<EventFilter, ApiError> {
    for (field, value) in [
        ("actor_id", &query.actor_id),
        ("entity_type", &query.entity_type),
        ("entity_id", &query.entity_id),
        ("action", &query.action),
    ] {
        if value.as_ref().is_some_and(|value| value.len() > MAX_FILTER_LEN) {
            return Err(ApiError::invalid(field, format!("must be at most {MAX_FILTER_LEN} characters")));
        }
    }
    if query.limit.is_some_and(|limit| limit == 0 || limit > MAX_LIMIT) {
        return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    Ok(EventFilter {
        organization_id: Some(ctx.organization_id()?),
        actor_id: query.actor_id,
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        action: query.action,
        since: query.since,
        until: query.until,
        limit: query.limit,
        cursor: query.cursor,
    })
}

/// The active organization's audit events, newest first, a page at a time.
#[utoipa::path(get, path = "/audit/events", operation_id = "audit_events", tag = "audit", params(EventQuery),
    responses(
        (status = 200, description = "A page of events; `next_cursor` fetches the next", body = Page<AuditEvent>),
        (status = 400, description = "Bad query or cursor", body = Problem),
        (status = 403, description = "Requires audit.view", body = Problem),
    ))]
async fn events(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<EventQuery>,
) -> Result<Json<Page<AuditEvent>>, ApiError> {
    ctx.require(AUDIT_VIEW)?;
    if query.format.is_some() {
        return Err(ApiError::invalid("format", "applies to /audit/events/export only"));
    }
    let filter = filter(&ctx, query)?;
    Ok(Json(list(state.db().read(), &filter).await?))
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    JsonLines,
}

const CSV_HEADER: &str = "id,created_at,seq,actor_type,actor_id,action,entity_type,entity_id,changes,ip,user_agent,request_id,hash\n";

fn render(event: &AuditEvent, format: Format) -> String {
    match format {
        Format::JsonLines => serde_json::to_string(event).map(|line| line + "\n").unwrap_or_default(),
        Format::Csv => {
            let fields = [
                event.id.to_string(),
                crate::chain::timestamp_text(event.created_at),
                event.seq.map(|seq| seq.to_string()).unwrap_or_default(),
                event.actor_type.clone(),
                event.actor_id.clone().unwrap_or_default(),
                event.action.clone(),
                event.entity_type.clone(),
                event.entity_id.clone(),
                event.changes.to_canonical_json(),
                event.ip.clone().unwrap_or_default(),
                event.user_agent.clone().unwrap_or_default(),
                event.request_id.clone(),
                event.hash.clone().unwrap_or_default(),
            ];
            let mut line =
                fields.iter().map(|field| baseops_core::text::csv_field(field)).collect::<Vec<_>>().join(",");
            line.push('\n');
            line
        }
    }
}

/// Every matching event of the active organization, newest first, as CSV or JSON Lines
/// (`seq` and `hash` empty for events not sealed yet).
#[utoipa::path(get, path = "/audit/events/export", operation_id = "audit_export", tag = "audit", params(EventQuery),
    responses(
        (status = 200, description = "The events, streamed: CSV, or JSON Lines (application/x-ndjson) with format=jsonl", content(
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
        (status = 403, description = "Requires audit.view", body = Problem),
        (status = 422, description = "Unknown format", body = Problem),
    ))]
async fn export(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(mut query): Query<EventQuery>,
) -> Result<Response, ApiError> {
    ctx.require(AUDIT_VIEW)?;
    let format = match query.format.take().as_deref() {
        None | Some("csv") => Format::Csv,
        Some("jsonl") => Format::JsonLines,
        Some(_) => return Err(ApiError::invalid("format", "must be csv or jsonl")),
    };
    baseops_core::refuse_paging(query.limit, query.cursor.as_deref())?;
    query.limit = Some(MAX_LIMIT);
    let first = filter(&ctx, query)?;
    // Each chunk is one page; the next page is read only when the client has taken this one.
    let pages = futures_util::stream::unfold(Some((state, first, true)), move |step| async move {
        let (state, filter, first_chunk) = step?;
        let page = match list(state.db().read(), &filter).await {
            Ok(page) => page,
            Err(error) => {
                tracing::error!(error = ?error, "audit export stopped");
                return Some((Err(std::io::Error::other("audit export failed")), None));
            }
        };
        let mut chunk = String::new();
        if first_chunk && matches!(format, Format::Csv) {
            chunk.push_str(CSV_HEADER);
        }
        for event in &page.items {
            chunk.push_str(&render(event, format));
        }
        let next =
            page.next_cursor.map(|cursor| (state, EventFilter { cursor: Some(cursor), ..filter }, false));
        Some((Ok::<_, std::io::Error>(bytes::Bytes::from(chunk)), next))
    });
    let (content_type, file_name) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "audit-events.csv"),
        Format::JsonLines => ("application/x-ndjson", "audit-events.jsonl"),
    };
    Ok(baseops_core::stream::streamed(content_type, Some(file_name), pages))
}
