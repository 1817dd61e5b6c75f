//! The process-wide Prometheus recorder.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Counter of answered HTTP requests, by method, route and status.
pub const HTTP_REQUESTS_METRIC: &str = "http_requests_total";
/// Histogram of HTTP request durations in seconds, by method, route and status.
pub const HTTP_DURATION_METRIC: &str = "http_request_duration_seconds";

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
            handle
        })
        .clone()
}
