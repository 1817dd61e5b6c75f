//! Extractors that answer bad input with a problem instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::json_shape::{self, MAX_DEPTH, MAX_ITEMS, ShapeError};
use crate::text::{code_point, first_forbidden, json_first_forbidden};
use crate::{ApiError, FieldErrors};

/// A JSON body in, or a JSON body out.
///
/// As an extractor: a missing or wrong `Content-Type` is 415, broken JSON is 400, a body over
/// the limit is 413, a string holding a control character no text may hold (NUL and the
/// like, [`crate::text`]) is 422 on that field, so is a list or object longer or deeper than
/// [`crate::json_shape`] allows (counted before anything is parsed), and a well-formed body of
/// the wrong shape (a list where the object belongs, too) is 422 with the failing field's path
/// in `errors`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "Expected a body with Content-Type: application/json.".to_owned(),
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest { code: "unreadable_body", detail: rejection.body_text() }
            }
        })?;
        if let Some(c) = json_first_forbidden(&bytes) {
            return Err(control_character_error(&bytes, c));
        }
        json_shape::check(&bytes).map_err(|error| match error {
            ShapeError::TooManyItems { field } => {
                ApiError::invalid(&field, format!("must not have more than {MAX_ITEMS} items"))
            }
            ShapeError::TooDeep { field } => {
                ApiError::invalid(&field, format!("must not nest more than {MAX_DEPTH} levels deep"))
            }
        })?;
        // Every body of the API is an object; serde would also read a struct from a list of its
        // fields in order (`[null, null]`), a shape no client means.
        if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
            return Err(ApiError::invalid("body", "must be a JSON object"));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => match integral_floats_read_as_integers::<T>(&bytes, &rejection.body_text()) {
                Some(value) => Ok(Self(value)),
                None => Err(rejection_to_error(rejection)),
            },
        }
    }
}

/// Largest integer a JSON number written as a float holds exactly (2^53).
const MAX_EXACT_FLOAT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// The body read again with every integral float (`3.0`, `-5e2`) as an integer, when serde
/// refused a float where an integer belongs: JSON Schema's `integer` — the document's —
/// includes `3.0`, serde's integers do not. Only a body that failed that way pays for it.
fn integral_floats_read_as_integers<T: DeserializeOwned>(bytes: &[u8], reason: &str) -> Option<T> {
    fn integers(value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::Number(number) => {
                if let Some(float) = number.as_f64().filter(|_| number.is_f64())
                    && float.fract() == 0.0
                    && float.abs() <= MAX_EXACT_FLOAT_INTEGER
                {
                    // Exact: an integral float within 2^53 converts without loss.
                    #[allow(clippy::cast_possible_truncation)]
                    let integer = float as i64;
                    *number = integer.into();
                }
            }
            Value::Array(items) => items.iter_mut().for_each(integers),
            Value::Object(map) => map.values_mut().for_each(integers),
            _ => {}
        }
    }
    if !reason.contains("invalid type: floating point") {
        return None;
    }
    let mut value = serde_json::from_slice::<serde_json::Value>(bytes).ok()?;
    integers(&mut value);
    serde_json::from_value(value).ok()
}

/// `application/json`, or any `+json` type, as axum accepts them.
fn is_json(headers: &http::HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// 422 naming the field that holds `c` (found again through a parse, only for such a body).
fn control_character_error(bytes: &[u8], c: char) -> ApiError {
    let message = format!("must not contain the control character {}", code_point(c));
    let field = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|value| path_of_forbidden(&value, String::new()))
        .unwrap_or_else(|| "body".to_owned());
    ApiError::invalid(&field, message)
}

/// The JSON path (`tags[3]`, `address.city`) of the first string holding a forbidden
/// character, or of the object whose key holds one.
fn path_of_forbidden(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) => {
            first_forbidden(text).map(|_| if path.is_empty() { "body".to_owned() } else { path })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| path_of_forbidden(item, format!("{path}[{index}]"))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            if first_forbidden(key).is_some() { Some(here) } else { path_of_forbidden(item, here) }
        }),
        _ => None,
    }
}

/// A query string parsed into `T`: an empty parameter (`?q=`) or a control character in any
/// parameter (percent-encoded or not) is 400 `invalid_query` naming the parameter, and a
/// parameter of the wrong shape is 400 `invalid_query` with the parser's reason — a problem,
/// never axum's plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if value.is_empty() {
                // `?owner_id=` is neither "no owner" nor "any owner": say so instead of guessing.
                return Err(ApiError::BadRequest {
                    code: "invalid_query",
                    detail: format!("The query parameter {name:?} is empty; leave it out instead."),
                });
            }
            if let Some(c) = first_forbidden(&name).or_else(|| first_forbidden(&value)) {
                return Err(ApiError::BadRequest {
                    code: "invalid_query",
                    detail: format!(
                        "The query parameter {name:?} contains the control character {}.",
                        code_point(c)
                    ),
                });
            }
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => {
                Err(ApiError::BadRequest { code: "invalid_query", detail: rejection.body_text() })
            }
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn rejection_to_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::UnsupportedMediaType("Expected a body with Content-Type: application/json.".to_owned())
        }
        JsonRejection::JsonSyntaxError(error) => ApiError::BadRequest {
            code: "malformed_json",
            detail: format!("The body is not valid JSON: {}", serde_cause(&error)),
        },
        JsonRejection::JsonDataError(error) => {
            let mut errors = FieldErrors::new();
            match located_serde_error(&error) {
                Some(located) => {
                    let message = without_position(&located.inner().to_string());
                    errors.add(field_of(&located.path().to_string(), &message), message);
                }
                None => {
                    errors.add("body", error.body_text());
                }
            }
            ApiError::Validation(errors)
        }
        rejection if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        rejection => ApiError::BadRequest { code: "unreadable_body", detail: rejection.body_text() },
    }
}

/// The serde error with its JSON path, wherever it sits in the rejection's source chain.
fn located_serde_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a serde_path_to_error::Error<serde_json::Error>> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(located) = error.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>() {
            return Some(located);
        }
        current = error.source();
    }
    None
}

/// The field an error is about: its JSON path; a missing field is reported at the enclosing
/// object, so its name (from the message) is appended.
fn field_of(path: &str, message: &str) -> String {
    let path = if path == "." { "" } else { path };
    let missing = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
    match (path, missing) {
        ("", Some(name)) => name.to_owned(),
        (path, Some(name)) => format!("{path}.{name}"),
        ("", None) => "body".to_owned(),
        (path, None) => path.to_owned(),
    }
}

/// The serde message of a rejection, without axum's prefix.
fn serde_cause(error: &dyn std::error::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// `invalid type: string "x", expected u32 at line 1 column 9` → drop the position, which
/// means nothing to a client that sent a one-line body.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use serde::Deserialize;

    use super::*;
    use crate::{Currency, Email, Money};

    #[derive(Debug, Deserialize)]
    struct Contact {
        #[allow(dead_code)]
        email: Email,
        #[allow(dead_code)]
        budget: Option<Money>,
        #[allow(dead_code)]
        currency: Option<Currency>,
    }

    async fn field_errors(body: &str) -> Vec<(String, Vec<String>)> {
        let request = Request::builder()
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        match Json::<Contact>::from_request(request, &()).await {
            Err(ApiError::Validation(errors)) => {
                errors.iter().map(|(field, messages)| (field.to_owned(), messages.to_vec())).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn value_types_refuse_bad_input_at_their_field() {
        let expect = |field: &str, message: &str| vec![(field.to_owned(), vec![message.to_owned()])];
        assert_eq!(
            field_errors(r#"{"email": "not an address"}"#).await,
            expect("email", "is not an e-mail address")
        );
        assert_eq!(
            field_errors(r#"{"email": "a@b.co", "currency": "XYZ"}"#).await,
            expect("currency", "is not a current ISO 4217 currency code")
        );
        assert_eq!(
            field_errors(r#"{"email": "a@b.co", "budget": {"amount_minor": 12.5, "currency": "EUR"}}"#).await,
            expect("budget.amount_minor", "invalid type: floating point `12.5`, expected i64")
        );
        assert_eq!(
            field_errors(
                r#"{"email": "a@b.co", "budget": {"amount_minor": 2000000000000000, "currency": "EUR"}}"#
            )
            .await,
            expect(
                "budget.amount_minor",
                "must be between -1000000000000000 and 1000000000000000 minor units"
            )
        );
    }

    #[tokio::test]
    async fn an_integral_float_is_an_integer_as_json_schema_says() {
        #[derive(Debug, Deserialize)]
        struct Counts {
            position: i32,
            steps: Vec<u8>,
            ratio: f64,
        }
        let read = |body: &'static str| async move {
            let request = Request::builder()
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap();
            Json::<Counts>::from_request(request, &()).await
        };
        let Json(counts) = read(r#"{"position": -5e2, "steps": [1.0, 6], "ratio": 2.0}"#).await.unwrap();
        assert_eq!((counts.position, counts.steps, counts.ratio), (-500, vec![1, 6], 2.0));
        // A fraction, or a float beyond what it exactly holds, stays refused at its field.
        for body in [
            r#"{"position": 1.5, "steps": [], "ratio": 1}"#,
            r#"{"position": 1e300, "steps": [], "ratio": 1}"#,
        ] {
            assert!(matches!(read(body).await, Err(ApiError::Validation(_))), "{body}");
        }
    }

    #[test]
    fn errors_point_at_the_field() {
        assert_eq!(field_of("count", "invalid type: string, expected u32"), "count");
        assert_eq!(field_of(".", "missing field `name`"), "name");
        assert_eq!(field_of("items[0]", "missing field `price`"), "items[0].price");
        assert_eq!(field_of("admin", "unknown field `admin`, expected `name` or `count`"), "admin");
        assert_eq!(field_of(".", "invalid type: sequence, expected struct Input"), "body");
    }
}
