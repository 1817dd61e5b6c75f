//! Security headers on every response.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, header};

/// Whether the site is served over HTTPS, which decides HSTS.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Https(pub(crate) bool);

/// `nosniff`, no referrer leaks across origins, no framing (clickjacking), and HSTS when
/// served over HTTPS. A handler that sets one of these itself keeps its own value.
pub(crate) async fn set_security_headers(
    State(https): State<Https>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name, value| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'");
    if https.0 {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    response
}
