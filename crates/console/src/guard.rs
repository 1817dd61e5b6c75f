//! What stands in front of every console route: unsafe requests from other sites are
//! refused (login CSRF included), a form's `csrf_token` field becomes the `X-CSRF-Token`
//! header the authenticator checks — one CSRF rule for the API and the console — and the
//! organization chosen in the switcher (a cookie) becomes the `X-Organization` header.

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baseops_core::ApiError;
use http::{HeaderValue, Method, header};
use http_body_util::BodyExt;

use crate::ConsoleError;

/// The cookie holding the organization chosen in the switcher (its id).
pub const ORGANIZATION_COOKIE: &str = "baseops_console_org";
/// The form field carrying the session's CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
/// The largest console form read here; uploads are not forms of this kind.
const MAX_FORM_BYTES: usize = 256 * 1024;

fn refused(detail: &str) -> Response {
    ConsoleError::Api(ApiError::Refused { code: "csrf_failed", detail: detail.to_owned() }).into_response()
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request comes from another site, by the browser's own word.
fn cross_site(request: &Request) -> bool {
    let headers = request.headers();
    if headers.get("sec-fetch-site").is_some_and(|site| site.as_bytes() == b"cross-site") {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

fn content_type_is(request: &Request, media_type: &str) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with(media_type))
}

fn is_form(request: &Request) -> bool {
    content_type_is(request, "application/x-www-form-urlencoded")
}

/// An upload form (`multipart/form-data`) carries its token in the action's query string:
/// the body is a file streamed to its handler, not read here.
fn upload_token(request: &Request) -> Option<HeaderValue> {
    if !content_type_is(request, "multipart/form-data") {
        return None;
    }
    let query = request.uri().query()?;
    let token = url::form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == CSRF_FIELD)?.1;
    HeaderValue::from_str(&token).ok()
}

/// The middleware.
pub(crate) async fn guard(mut request: Request, next: Next) -> Response {
    if is_unsafe(request.method()) && cross_site(&request) {
        return refused("The console accepts changes only from its own pages.");
    }
    if !request.headers().contains_key("x-organization")
        && let Some(id) = baseops_core::cookie(request.headers(), ORGANIZATION_COOKIE)
            .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        && let Ok(value) = HeaderValue::from_str(id)
    {
        request.headers_mut().insert("x-organization", value);
    }
    if is_unsafe(request.method())
        && !request.headers().contains_key("x-csrf-token")
        && let Some(token) = upload_token(&request)
    {
        request.headers_mut().insert("x-csrf-token", token);
    }
    if is_unsafe(request.method()) && is_form(&request) && !request.headers().contains_key("x-csrf-token") {
        let (mut parts, body) = request.into_parts();
        let bytes = match http_body_util::Limited::new(body, MAX_FORM_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return ConsoleError::Api(ApiError::PayloadTooLarge).into_response(),
        };
        let token = url::form_urlencoded::parse(&bytes).find(|(key, _)| key == CSRF_FIELD).map(|(_, v)| v);
        if let Some(value) = token.and_then(|token| HeaderValue::from_str(&token).ok()) {
            parts.headers.insert("x-csrf-token", value);
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(Method::POST).uri("/admin/logout");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn other_sites_are_told_apart() {
        assert!(!cross_site(&request(&[("host", "ops.example"), ("origin", "https://ops.example")])));
        assert!(cross_site(&request(&[("host", "ops.example"), ("origin", "https://evil.example")])));
        assert!(cross_site(&request(&[("host", "ops.example"), ("origin", "null")])));
        assert!(cross_site(&request(&[("sec-fetch-site", "cross-site")])));
        assert!(!cross_site(&request(&[("sec-fetch-site", "same-origin")])));
        assert!(!cross_site(&request(&[])));
    }
}
