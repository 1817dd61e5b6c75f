//! `/metrics` in the Prometheus text format.

use axum::extract::State;
use axum::response::IntoResponse;
use baseops_core::AppState;
use http::{HeaderValue, header};

/// Request metrics recorded by the middleware, plus database pool gauges read now.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "platform",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain"))
)]
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    for pool in state.db().pool_stats() {
        metrics::gauge!("db_pool_connections", "pool" => pool.pool, "state" => "idle")
            .set(f64::from(pool.idle));
        metrics::gauge!("db_pool_connections", "pool" => pool.pool, "state" => "in_use")
            .set(f64::from(pool.size.saturating_sub(pool.idle)));
    }
    metrics::gauge!("baseops_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let handle = baseops_telemetry::metrics_handle();
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))],
        handle.render(),
    )
}
