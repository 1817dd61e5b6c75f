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
            match std::error::Error::source(&error)
                .and_then(|source| source.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>())
            {
                Some(located) => {
                    let path = located.path().to_string();
                    let field = if path == "." { "body".to_owned() } else { path };
                    errors.add(field, without_position(&located.inner().to_string()));
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
