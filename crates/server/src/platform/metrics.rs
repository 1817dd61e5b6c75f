//! `/metrics` in the Prometheus text format, for the scraper only: a client in
//! `server.metrics_allowed_ips`, or one that sends `server.metrics_token` as a bearer token.
//! The figures tell an outsider the routes, the load and the version.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use baseops_core::{ApiError, AppState, ClientIp};
use http::{HeaderMap, HeaderValue, header};
use subtle::ConstantTimeEq;

/// Whether this caller may read the metrics.
fn allowed(state: &AppState, client: Option<ClientIp>, headers: &HeaderMap) -> bool {
    let server = &state.settings().server;
    if client.is_some_and(|ClientIp(ip)| server.metrics_allowed_ips.contains(&ip)) {
        return true;
    }
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match (&server.metrics_token, sent) {
        (Some(token), Some(sent)) => bool::from(token.expose().as_bytes().ct_eq(sent.as_bytes())),
        _ => false,
    }
}

/// Request metrics recorded by the middleware, plus database pool gauges read now.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "platform",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format", content_type = "text/plain"),
        (status = 403, description = "Not from server.metrics_allowed_ips and without server.metrics_token (forbidden)", body = baseops_core::Problem),
    )
)]
pub(crate) async fn metrics(
    State(state): State<AppState>,
    client: Option<axum::Extension<ClientIp>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !allowed(&state, client.map(|axum::Extension(ip)| ip), &headers) {
        return Err(ApiError::Refused {
            code: "forbidden",
            detail: "Metrics are served to server.metrics_allowed_ips, or with server.metrics_token.".into(),
        });
    }
    for pool in state.db().pool_stats() {
        metrics::gauge!("db_pool_connections", "pool" => pool.pool, "state" => "idle")
            .set(f64::from(pool.idle));
        metrics::gauge!("db_pool_connections", "pool" => pool.pool, "state" => "in_use")
            .set(f64::from(pool.size.saturating_sub(pool.idle)));
    }
    metrics::gauge!("baseops_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let handle = baseops_telemetry::metrics_handle();
    handle.run_upkeep();
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))],
        handle.render(),
    )
        .into_response())
}
