//! Optimistic concurrency over HTTP: a record's `version` goes out as `ETag: "<version>"`
//! and comes back as `If-Match: "<version>"` on the update, which then changes the row only
//! `WHERE id = ? AND version = ?`.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponseParts, ResponseParts};
use http::request::Parts;
use http::{HeaderValue, header};

use crate::ApiError;

/// A version no record has: what an `If-Match` naming no version this API hands out stands
/// for, so that it fails the comparison — after the record was found (a missing record is
/// 404 whatever the header says).
pub const NO_VERSION: i32 = -1;

/// The version named by a request's `If-Match` header (the `ETag` a GET answered).
///
/// Missing: 428 `precondition_required`. A value that is no version this API hands out (empty,
/// `*` — a change that requires a precondition requires the version it changes —, a weak
/// tag, a list, junk) is [`NO_VERSION`]: 412 `version_mismatch` once the record is found,
/// 404 when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(pub i32);

impl IfMatch {
    /// Parses `"<version>"` (surrounding whitespace allowed).
    pub fn parse(value: &str) -> Option<Self> {
        let digits = value.trim().strip_prefix('"')?.strip_suffix('"')?;
        if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(Self)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(header::IF_MATCH).ok_or(ApiError::PreconditionRequired)?;
        Ok(value.to_str().ok().and_then(Self::parse).unwrap_or(Self(NO_VERSION)))
    }
}

/// An optional `If-Match` (actions and updates that accept one): `None` without the header or
/// with `*` (any current version: the record must only exist); a value that is no version this
/// API hands out (empty, weak, a list, junk) is [`NO_VERSION`], which cannot match: 412
/// `version_mismatch` once the record is found, 404 when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OptionalIfMatch(pub Option<i32>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalIfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(header::IF_MATCH) {
            None => Ok(Self(None)),
            Some(value) if value.as_bytes().trim_ascii() == b"*" => Ok(Self(None)),
            Some(value) => Ok(Self(Some(
                value.to_str().ok().and_then(IfMatch::parse).map_or(NO_VERSION, |parsed| parsed.0),
            ))),
        }
    }
}

/// 412 unless `expected` (from `If-Match`, when sent) is the record's `current` version.
///
/// # Errors
/// [`ApiError::PreconditionFailed`].
pub fn check_version(current: i32, expected: Option<i32>) -> Result<(), ApiError> {
    match expected {
        Some(expected) if expected != current => Err(ApiError::PreconditionFailed),
        _ => Ok(()),
    }
}

/// Sets `ETag: "<version>"` on a response: `(ETag(task.version), Json(task))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ETag(pub i32);

impl IntoResponseParts for ETag {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut parts: ResponseParts) -> Result<ResponseParts, Self::Error> {
        let value =
            HeaderValue::from_str(&format!("\"{}\"", self.0)).expect("digits and quotes are a valid value");
        parts.headers_mut().insert(header::ETAG, value);
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn headers(value: Option<&str>) -> (Result<IfMatch, ApiError>, OptionalIfMatch) {
        let mut request = http::Request::builder();
        if let Some(value) = value {
            request = request.header(header::IF_MATCH, value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        let required = IfMatch::from_request_parts(&mut parts, &()).await;
        let optional = OptionalIfMatch::from_request_parts(&mut parts, &()).await.unwrap();
        (required, optional)
    }

    #[tokio::test]
    async fn a_precondition_is_only_refused_after_the_record_is_found() {
        let (required, optional) = headers(None).await;
        assert!(matches!(required, Err(ApiError::PreconditionRequired)));
        assert_eq!(optional, OptionalIfMatch(None));
        let (required, optional) = headers(Some("\"3\"")).await;
        assert_eq!(required.unwrap(), IfMatch(3));
        assert_eq!(optional, OptionalIfMatch(Some(3)));
        let (required, optional) = headers(Some("*")).await;
        assert_eq!(required.unwrap(), IfMatch(NO_VERSION));
        assert_eq!(optional, OptionalIfMatch(None), "any version of a record that exists");
        for junk in ["", "W/\"3\"", "junk"] {
            let (required, optional) = headers(Some(junk)).await;
            assert_eq!(required.unwrap(), IfMatch(NO_VERSION), "{junk}");
            assert_eq!(optional, OptionalIfMatch(Some(NO_VERSION)), "{junk}");
            assert!(check_version(0, optional.0).is_err());
        }
    }

    #[test]
    fn only_strong_quoted_versions_parse() {
        assert_eq!(IfMatch::parse("\"7\""), Some(IfMatch(7)));
        assert_eq!(IfMatch::parse(" \"0\" "), Some(IfMatch(0)));
        for junk in ["7", "*", "W/\"7\"", "\"1\", \"2\"", "\"\"", "\"-1\"", "\"99999999999\"", "\"x\""] {
            assert_eq!(IfMatch::parse(junk), None, "{junk}");
        }
    }
}
