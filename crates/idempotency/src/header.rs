//! The `Idempotency-Key` request header.

use axum::extract::FromRequestParts;
use baseops_core::ApiError;
use http::request::Parts;

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 200;

/// The header's name.
const HEADER: &str = "idempotency-key";

/// The optional `Idempotency-Key` header (1–200 printable ASCII chars; else 400 `invalid_idempotency_key`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl IdempotencyKey {
    /// Checks a header value: 1 to [`MAX_KEY_LEN`] printable ASCII characters (space included,
    /// not at either end).
    pub fn parse(value: &[u8]) -> Option<String> {
        let valid = !value.is_empty()
            && value.len() <= MAX_KEY_LEN
            && value.iter().all(|b| (0x20..0x7f).contains(b))
            && value.first() != Some(&b' ')
            && value.last() != Some(&b' ');
        valid.then(|| String::from_utf8_lossy(value).into_owned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all(HEADER).iter();
        let Some(value) = values.next() else {
            return Ok(Self(None));
        };
        let key = Self::parse(value.as_bytes()).filter(|_| values.next().is_none());
        key.map(|key| Self(Some(key))).ok_or_else(|| ApiError::BadRequest {
            code: "invalid_idempotency_key",
            detail: format!(
                "Idempotency-Key must be one value of 1 to {MAX_KEY_LEN} printable ASCII characters."
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn extract(values: &[&[u8]]) -> Result<IdempotencyKey, ApiError> {
        let mut request = http::Request::builder();
        for value in values {
            request = request.header(HEADER, http::HeaderValue::from_bytes(value).unwrap());
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        IdempotencyKey::from_request_parts(&mut parts, &()).await
    }

    #[tokio::test]
    async fn keys_are_optional_and_checked() {
        assert_eq!(extract(&[]).await.unwrap(), IdempotencyKey(None));
        assert_eq!(extract(&[b"order-1 retry"]).await.unwrap(), IdempotencyKey(Some("order-1 retry".into())));
        let longest = "k".repeat(MAX_KEY_LEN);
        assert_eq!(extract(&[longest.as_bytes()]).await.unwrap().0.as_deref(), Some(longest.as_str()));
        let too_long = "k".repeat(MAX_KEY_LEN + 1);
        for bad in [&b""[..], b" lead", b"tab\there", too_long.as_bytes(), b"caf\xc3\xa9"] {
            let error = extract(&[bad]).await.unwrap_err();
            assert_eq!(error.problem().code, "invalid_idempotency_key", "{bad:?}");
        }
        assert!(extract(&[b"a", b"b"]).await.is_err(), "two keys are ambiguous");
    }
}
