//! Request counts and latency histograms by route and status.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use baseops_telemetry::{HTTP_DURATION_METRIC, HTTP_REQUESTS_METRIC};

/// Records one request. The route is the matched pattern (`/api/v1/tasks/{id}`), never the
/// raw path, so the number of series stays bounded; unmatched paths share one label.
pub(crate) async fn record_http_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let labels = [("method", method), ("route", route), ("status", response.status().as_u16().to_string())];
    metrics::counter!(HTTP_REQUESTS_METRIC, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION_METRIC, &labels).record(started.elapsed().as_secs_f64());
    response
}
