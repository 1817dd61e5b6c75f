//! Extractors that answer bad input with a problem instead of axum's plain-text rejections.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{ApiError, FieldErrors};

/// A JSON body in, or a JSON body out.
///
/// As an extractor: a missing or wrong `Content-Type` is 415, broken JSON is 400, a body over
/// the limit is 413, and a well-formed body of the wrong shape is 422 with the failing field's
/// path in `errors`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(rejection_to_error(rejection)),
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

    #[test]
    fn errors_point_at_the_field() {
        assert_eq!(field_of("count", "invalid type: string, expected u32"), "count");
        assert_eq!(field_of(".", "missing field `name`"), "name");
        assert_eq!(field_of("items[0]", "missing field `price`"), "items[0].price");
        assert_eq!(field_of("admin", "unknown field `admin`, expected `name` or `count`"), "admin");
        assert_eq!(field_of(".", "invalid type: sequence, expected struct Input"), "body");
    }
}
