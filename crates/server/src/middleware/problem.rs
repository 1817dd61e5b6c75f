//! Every error response leaves as `application/problem+json` with the request id.
//!
//! Handlers' errors carry their [`Problem`] in the response extensions; errors produced by
//! axum or tower (unknown route, wrong method, body too large, timeout, panic) have none and
//! get the generic problem for their status. Headers such as `Allow` and `Retry-After` stay.

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use baseops_core::{PROBLEM_CONTENT_TYPE, Problem, RequestId};
use http::{HeaderValue, header};

pub(crate) async fn render_problems(request: Request, next: Next) -> Response {
    let request_id = request.extensions().get::<RequestId>().map(|id| id.as_str().to_owned());
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // The console's error pages are for people and stay HTML.
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    if html {
        return response;
    }
    let mut problem =
        response.extensions_mut().remove::<Problem>().unwrap_or_else(|| Problem::for_status(status));
    problem.request_id = request_id;
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    *response.body_mut() = Body::from(body);
    response
}
