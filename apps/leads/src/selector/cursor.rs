//! Opaque cursors: base64url of a small JSON array naming the sort and the last row's sort
//! value and id. A cursor of another sort, or one that does not decode, is 400
//! `invalid_cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use baseops_core::ApiError;
use serde_json::Value;
use uuid::Uuid;

/// The error for a cursor this app did not produce.
pub fn invalid_cursor() -> ApiError {
    ApiError::BadRequest {
        code: "invalid_cursor",
        detail: "The cursor is not one this list produced.".into(),
    }
}

/// Encodes `(sort, value, id)`.
pub fn encode(sort: &str, value: Value, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::json!([sort, value, id]).to_string())
}

/// Decodes a cursor made by [`encode`] for `sort`.
///
/// # Errors
/// 400 `invalid_cursor`.
pub fn decode(sort: &str, cursor: &str) -> Result<(Value, Uuid), ApiError> {
    if cursor.len() > 512 {
        return Err(invalid_cursor());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid_cursor())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid_cursor())?;
    let Value::Array(parts) = value else { return Err(invalid_cursor()) };
    match parts.as_slice() {
        [Value::String(name), value, Value::String(id)] if name == sort => {
            Ok((value.clone(), Uuid::parse_str(id).map_err(|_| invalid_cursor())?))
        }
        _ => Err(invalid_cursor()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let id = Uuid::now_v7();
        let cursor = encode("-created_at", Value::Null, id);
        assert_eq!(decode("-created_at", &cursor).unwrap(), (Value::Null, id));
        assert!(decode("score", &cursor).is_err());
        assert!(decode("-created_at", "not-base64!").is_err());
        assert!(decode("-created_at", &URL_SAFE_NO_PAD.encode("[1,2]")).is_err());
    }
}
