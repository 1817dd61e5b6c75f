//! The process-wide Prometheus recorder.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Counter of answered HTTP requests, by method, route and status.
pub const HTTP_REQUESTS_METRIC: &str = "http_requests_total";
/// Histogram of HTTP request durations in seconds, by method, route and status.
pub const HTTP_DURATION_METRIC: &str = "http_request_duration_seconds";

/// Counter of panics, wherever they happen (a handler, a streamed body, a background task).
pub const PANICS_METRIC: &str = "panics_total";

/// Buckets from 1 ms to 10 s: API latencies of interest sit between them.
const DURATION_BUCKETS: [f64; 14] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0];

/// The handle that renders `/metrics`, installing the global recorder on first use.
///
/// One recorder per process: metrics from every part of baseops (and every in-process test
/// server) land in it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION_METRIC.to_owned()), &DURATION_BUCKETS)
                .expect("the bucket list is a non-empty constant")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed; then ours still renders what it got.
            let _ = metrics::set_global_recorder(recorder);
            metrics::describe_counter!(HTTP_REQUESTS_METRIC, "HTTP requests answered");
            metrics::describe_histogram!(
                HTTP_DURATION_METRIC,
                metrics::Unit::Seconds,
                "HTTP request duration"
            );
            metrics::describe_counter!(PANICS_METRIC, "Panics in any task of the process");
            install_panic_hook();
            handle
        })
        .clone()
}

/// Logs every panic as an error (so it reaches `errors.log`, inside the span it happened in —
/// a request's carries its id) and counts it in [`PANICS_METRIC`], before the default hook
/// prints it. Installed once, with the metrics recorder.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().map(|at| format!("{}:{}", at.file(), at.line())).unwrap_or_default();
        tracing::error!(panic = %panic_message(info.payload()), %location, "panic");
        metrics::counter!(PANICS_METRIC).increment(1);
        default(info);
    }));
}

/// The message a panic carried (`panic!("…")`), or a placeholder for other payloads.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}
