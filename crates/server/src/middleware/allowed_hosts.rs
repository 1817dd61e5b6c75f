//! Rejects requests whose `Host` is not one of `server.allowed_hosts` (like Django's
//! `ALLOWED_HOSTS`), so forged hosts can't poison links built from it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baseops_core::ApiError;
use http::header;

/// The accepted host names, lower-cased. `.example.com` also accepts its subdomains. Empty
/// accepts any host (development; `check --deploy` flags it).
#[derive(Clone, Debug)]
pub(crate) struct AllowedHosts(Arc<[String]>);

impl AllowedHosts {
    pub(crate) fn new(hosts: &[String]) -> Self {
        Self(hosts.iter().map(|host| host.trim().to_ascii_lowercase()).collect())
    }

    fn allows(&self, host: &str) -> bool {
        self.0.is_empty()
            || self.0.iter().any(|allowed| {
                allowed == "*"
                    || allowed == host
                    || allowed.strip_prefix('.').is_some_and(|domain| {
                        host == domain || host.strip_suffix(domain).is_some_and(|sub| sub.ends_with('.'))
                    })
            })
    }
}

/// `example.com:8443` → `example.com`; `[::1]:80` → `[::1]`.
fn host_without_port(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    match host.rfind(':') {
        Some(index) if !host[index..].contains(']') => host[..index].to_owned(),
        _ => host,
    }
}

pub(crate) async fn check_host(
    State(allowed): State<AllowedHosts>,
    request: Request,
    next: Next,
) -> Response {
    if allowed.0.is_empty() {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|authority| authority.as_str().to_owned()));
    match host.map(|host| host_without_port(&host)) {
        Some(host) if allowed.allows(&host) => next.run(request).await,
        _ => ApiError::BadRequest {
            code: "disallowed_host",
            detail: "The Host header is not one of this server's allowed hosts.".to_owned(),
        }
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_exactly_or_by_domain_suffix() {
        let allowed = AllowedHosts::new(&["ops.example.com".into(), ".corp.example".into()]);
        assert!(allowed.allows("ops.example.com"));
        assert!(allowed.allows("corp.example"));
        assert!(allowed.allows("eu.corp.example"));
        assert!(!allowed.allows("evilcorp.example"));
        assert!(!allowed.allows("example.com"));
        assert!(AllowedHosts::new(&[]).allows("anything"));
        assert_eq!(host_without_port("Ops.Example.com:8443"), "ops.example.com");
        assert_eq!(host_without_port("[::1]:8000"), "[::1]");
        assert_eq!(host_without_port("[::1]"), "[::1]");
    }
}
