//! Gives every request an id, and echoes it in `X-Request-Id`.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use baseops_core::RequestId;
use http::{HeaderName, HeaderValue};

/// The header carrying the request id, both ways.
pub(crate) static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Keeps a well-formed client id (so a proxy's id joins our logs), else generates one.
pub(crate) async fn assign_request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(RequestId::from_client)
        .unwrap_or_else(RequestId::generate);
    request.extensions_mut().insert(id.clone());
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(REQUEST_ID_HEADER.clone(), value);
    }
    response
}
