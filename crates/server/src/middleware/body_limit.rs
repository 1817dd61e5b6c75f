//! The request body limit: `server.body_limit_bytes` on every route, except the upload routes
//! apps declare ([`baseops_app::LargeBody`]), which take up to their own limit. A declared
//! Content-Length over the limit is refused before the handler runs; a body without one
//! (chunked) is cut off at the limit and the extractor answers 413.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baseops_app::Apps;
use baseops_config::Settings;
use baseops_core::ApiError;
use http::header::CONTENT_LENGTH;

/// The limit of each route: the global one, and the larger ones apps declared.
#[derive(Clone, Debug)]
pub(crate) struct BodyLimits {
    default: usize,
    // full route path → (method, limit); looked up by &str, so a request allocates nothing
    routes: Arc<HashMap<String, Vec<(&'static str, usize)>>>,
}

impl BodyLimits {
    /// Reads the limits from the settings and the apps' declared upload routes.
    pub(crate) fn new(settings: &Settings, apps: &Apps) -> Self {
        let mut routes: HashMap<String, Vec<(&'static str, usize)>> = HashMap::new();
        for route in apps.large_bodies() {
            let limit = Ord::max((route.limit)(settings), settings.server.body_limit_bytes);
            let path = route.mounted_path();
            routes.entry(path).or_default().push((route.method, limit));
        }
        Self { default: settings.server.body_limit_bytes, routes: Arc::new(routes) }
    }

    fn of(&self, request: &Request) -> usize {
        let Some(path) = request.extensions().get::<MatchedPath>() else {
            return self.default;
        };
        self.routes
            .get(path.as_str())
            .and_then(|methods| methods.iter().find(|(method, _)| *method == request.method().as_str()))
            .map_or(self.default, |&(_, limit)| limit)
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
