//! Builds the router from the apps and the settings.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use baseops_app::Apps;
use baseops_core::{ApiError, AppState};
use tower::ServiceBuilder;
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa_swagger_ui::SwaggerUi;

use crate::{middleware, openapi};

/// The whole HTTP surface: platform endpoints, each app's API under `/api/v1`, the docs page,
/// and the middleware stack configured from `state.settings()`.
pub fn build_router(state: AppState, apps: &Apps) -> Router {
    let (routes, document) = openapi::routes_and_document(apps, Some(&state));
    let console = baseops_console::router(state.settings(), apps);
    // Installed before the first request, so that request is counted.
    baseops_telemetry::metrics_handle();
    let settings = state.settings();
    let server = &settings.server;

    let stack = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(middleware::request_id::assign_request_id))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(middleware::trace::RequestSpan)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(LatencyUnit::Micros))
                .on_failure(DefaultOnFailure::new().level(Level::ERROR).latency_unit(LatencyUnit::Micros)),
        )
        .layer(axum::middleware::from_fn_with_state(
            middleware::client_ip::TrustedProxies::new(&server.trusted_proxies),
            middleware::client_ip::assign_client_ip,
        ))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(middleware::metrics::record_http_metrics))
        .layer(axum::middleware::from_fn(middleware::problem::render_problems))
        .layer(axum::middleware::from_fn_with_state(
            middleware::security_headers::Https(settings.serves_https()),
            middleware::security_headers::set_security_headers,
        ))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            middleware::allowed_hosts::AllowedHosts::new(&server.allowed_hosts),
            middleware::allowed_hosts::check_host,
        ))
        .option_layer(middleware::cors::layer(&server.cors_allowed_origins))
        .layer(axum::middleware::from_fn_with_state(
            middleware::timeout::Timeouts {
                request: Duration::from_secs(server.request_timeout_secs),
                body_idle: Duration::from_secs(server.body_timeout_secs),
            },
            middleware::timeout::limit_time,
        ))
        // Our limits only, per route: axum's own 2 MB default would otherwise apply on top.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            middleware::body_limit::BodyLimits::new(settings, apps),
            middleware::body_limit::limit_body,
        ))
        // Innermost: the handler runs in a task of its own that a client's disconnect does
        // not cancel (no half-done transaction), and whose panic becomes a counted 500.
        .layer(axum::middleware::from_fn(middleware::detach::detach));

    routes
        .merge(console)
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", document))
        .fallback(|| async { ApiError::NotFound })
        .layer(stack)
        .with_state(state)
}
