//! One tracing span per request, carrying its id, so every log line of the request has it.

use axum::extract::Request;
use baseops_core::RequestId;
use tower_http::trace::MakeSpan;
use tracing::Span;

/// Builds the request span: id, method and path (never the query string, which may hold
/// tokens).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let id = request.extensions().get::<RequestId>().map(RequestId::as_str).unwrap_or_default();
        tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
    }
}
