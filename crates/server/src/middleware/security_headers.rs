//! Security headers on every response.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, header};

/// Whether the site is served over HTTPS, which decides HSTS.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Https(pub(crate) bool);

/// The API answers JSON, CSV and text: nothing in it may load, run, frame or submit anything.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The API docs page (Swagger UI): its own scripts, styles, images and the document, nothing
/// inline but style attributes (which the UI sets), nothing from elsewhere.
const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// The admin console: its own hashed scripts, styles and images only; nothing inline, nothing
/// from elsewhere; forms post only to itself.
const CONSOLE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `nosniff`, no referrer leaks across origins, no framing (clickjacking), a strict
/// Content-Security-Policy, `Cache-Control: no-store` on the API (its answers are one
/// caller's data), and HSTS when served over HTTPS. A handler that sets one of these itself
/// keeps its own value.
pub(crate) async fn set_security_headers(
    State(https): State<Https>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let docs = path == "/api/docs" || path.starts_with("/api/docs/");
    let console = path == "/admin" || path.starts_with("/admin/");
    // Console pages are one person's data too; only its hashed assets may be kept.
    let api = path.starts_with("/api/v1/")
        || path == "/metrics"
        || (console && !path.starts_with("/admin/assets/"));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name, value| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    let policy = if docs {
        DOCS_POLICY
    } else if console {
        CONSOLE_POLICY
    } else {
        API_POLICY
    };
    set(header::CONTENT_SECURITY_POLICY, policy);
    if api {
        set(header::CACHE_CONTROL, "no-store");
    }
    if https.0 {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    response
}
