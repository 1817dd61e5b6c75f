//! The request context handlers pass to services and selectors.

use std::convert::Infallible;
use std::fmt;

use axum::extract::FromRequestParts;
use http::request::Parts;

/// The id of one request: from a valid `X-Request-Id` header, or a new UUIDv7.
///
/// It is in every log line of the request, in every problem response, and (with the audit
/// issue) in every audit record, so one id joins them all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

/// Longest request id accepted from a client.
const MAX_REQUEST_ID_LEN: usize = 128;

impl RequestId {
    /// A new random, time-ordered id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// Accepts a client's id when it is short and made of `[A-Za-z0-9._:-]`, so it can't
    /// inject into logs; `None` otherwise.
    pub fn from_client(value: &str) -> Option<Self> {
        let valid = !value.is_empty()
            && value.len() <= MAX_REQUEST_ID_LEN
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        valid.then(|| Self(value.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who asks, in which organization, under which request: what services need to know.
///
/// Handlers build it with one extractor and pass it by reference. The identity issue adds the
/// actor, the organization and the effective permissions.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The request's id.
    pub request_id: RequestId,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // The server's request-id middleware always sets it; a context built outside it
        // (a job, a test) still gets a fresh id rather than none.
        let request_id = parts.extensions.get::<RequestId>().cloned().unwrap_or_else(RequestId::generate);
        Ok(Self { request_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request_ids_are_checked() {
        assert_eq!(RequestId::from_client("abc-123_x.y:z").unwrap().as_str(), "abc-123_x.y:z");
        assert!(RequestId::from_client("").is_none());
        assert!(RequestId::from_client("has space").is_none());
        assert!(RequestId::from_client("line\nbreak").is_none());
        assert!(RequestId::from_client(&"a".repeat(129)).is_none());
        assert_eq!(RequestId::generate().as_str().len(), 36);
    }
}
