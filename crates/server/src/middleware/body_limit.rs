//! The request body limit: `server.body_limit_bytes` on every route, except the upload routes
//! apps declare ([`baseops_core::LargeBody`]), which take up to their own limit. A declared
//! Content-Length over the limit is refused before the handler runs; a body without one
//! (chunked) is cut off at the limit and the extractor answers 413.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baseops_config::Settings;
use baseops_core::{ApiError, App};
use http::header::CONTENT_LENGTH;

/// The limit of each route: the global one, and the larger ones apps declared.
#[derive(Clone, Debug)]
pub(crate) struct BodyLimits {
    default: usize,
    // (method, full route path) → limit
    routes: Arc<HashMap<(String, String), usize>>,
}

impl BodyLimits {
    /// Reads the limits from the settings and the apps' declared upload routes.
    pub(crate) fn new(settings: &Settings, apps: &[App]) -> Self {
        let routes = apps
            .iter()
            .flat_map(|app| app.large_bodies.iter())
            .map(|route| {
                let limit = Ord::max((route.limit)(settings), settings.server.body_limit_bytes);
                ((route.method.to_owned(), format!("/api/v1{}", route.path)), limit)
            })
            .collect();
        Self { default: settings.server.body_limit_bytes, routes: Arc::new(routes) }
    }

    fn of(&self, request: &Request) -> usize {
        let Some(path) = request.extensions().get::<MatchedPath>() else {
            return self.default;
        };
        self.routes
            .get(&(request.method().as_str().to_owned(), path.as_str().to_owned()))
            .copied()
            .unwrap_or(self.default)
    }
}

/// Applies the route's limit to the request body.
pub(crate) async fn limit_body(State(limits): State<BodyLimits>, request: Request, next: Next) -> Response {
    let limit = limits.of(&request);
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return ApiError::PayloadTooLarge.into_response();
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}
