//! The console's own pages: home, the command palette's record search, and "not found".

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use baseops_core::{ApiError, AppState};
use http::HeaderMap;
use serde::Deserialize;

use crate::{ConsoleError, Crumb, Signed};

/// `GET /admin`: where each app's section starts, for what the person may use, and a place
/// the person's own work loads into ([`work`]).
pub(crate) async fn home(signed: Signed) -> Response {
    signed.page("home.html", vec![Crumb::here("Home")], ())
}

/// `GET /admin/work`: the person's own work in each app — the cards alone when htmx asks (the
/// home page and the dashboard load them after they show, so neither waits on the apps'
/// queries), else a page of its own (the link those pages show without JavaScript).
pub(crate) async fn work(State(state): State<AppState>, signed: Signed, headers: HeaderMap) -> Response {
    let work = signed.console().work(&state, &signed).await;
    let context = crate::context! { work => crate::value(&work) };
    if headers.contains_key("hx-request") {
        signed.console().bare("work_cards.html", context, http::StatusCode::OK)
    } else {
        signed.page("work.html", vec![Crumb::here("Your work")], context)
    }
}

/// The palette's query.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    q: String,
}

/// Longest query the palette sends.
const MAX_QUERY_CHARS: usize = 100;

/// `GET /admin/search?q=`: records of every app matching `q`, as JSON for the palette.
pub(crate) async fn search(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<SearchQuery>,
) -> Result<Response, ConsoleError> {
    let q = query.q.trim();
    if q.chars().count() > MAX_QUERY_CHARS || q.chars().any(char::is_control) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("Search for at most {MAX_QUERY_CHARS} characters of text."),
        }
        .into());
    }
    let results =
        if q.chars().count() < 2 { Vec::new() } else { signed.console().search(&state, &signed, q).await };
    Ok(Json(serde_json::json!({ "results": results })).into_response())
}

/// Any other `/admin` path.
pub(crate) async fn not_found() -> ConsoleError {
    ConsoleError::Api(ApiError::NotFound)
}
