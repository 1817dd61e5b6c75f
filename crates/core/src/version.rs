//! Optimistic concurrency over HTTP: a record's `version` goes out as `ETag: "<version>"`
//! and comes back as `If-Match: "<version>"` on the update, which then changes the row only
//! `WHERE id = ? AND version = ?`.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponseParts, ResponseParts};
use http::request::Parts;
use http::{HeaderValue, header};

use crate::ApiError;

/// The version named by a request's `If-Match` header (the `ETag` a GET answered).
///
/// Missing: 428 `precondition_required`. A value that is no version this API hands out
/// (`*`, a weak tag, a list, junk) cannot match the current one: 412 `version_mismatch`.
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
        value.to_str().ok().and_then(Self::parse).ok_or(ApiError::PreconditionFailed)
    }
}

/// An optional `If-Match` (actions and updates that accept one): `None` without the header;
/// a value that is no version this API hands out cannot match: 412 `version_mismatch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OptionalIfMatch(pub Option<i32>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalIfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(header::IF_MATCH) {
            None => Ok(Self(None)),
            Some(value) => {
                let parsed =
                    value.to_str().ok().and_then(IfMatch::parse).ok_or(ApiError::PreconditionFailed)?;
                Ok(Self(Some(parsed.0)))
            }
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
    use super::IfMatch;

    #[test]
    fn only_strong_quoted_versions_parse() {
        assert_eq!(IfMatch::parse("\"7\""), Some(IfMatch(7)));
        assert_eq!(IfMatch::parse(" \"0\" "), Some(IfMatch(0)));
        for junk in ["7", "*", "W/\"7\"", "\"1\", \"2\"", "\"\"", "\"-1\"", "\"99999999999\"", "\"x\""] {
            assert_eq!(IfMatch::parse(junk), None, "{junk}");
        }
    }
}
