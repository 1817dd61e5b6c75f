//! One error type for every handler, answered as RFC 9457 `application/problem+json`.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Field → messages, for 422 answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message for a field (a JSON path such as `items[2].price`).
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) -> &mut Self {
        self.0.entry(field.into()).or_default().push(message.into());
        self
    }

    /// Adds every message of `other`.
    pub fn merge(&mut self, other: Self) -> &mut Self {
        for (field, messages) in other.0 {
            self.0.entry(field).or_default().extend(messages);
        }
        self
    }

    /// Whether any field has an error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when empty, else a 422 carrying these errors.
    ///
    /// # Errors
    /// [`ApiError::Validation`] when any field has an error.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.is_empty() { Ok(()) } else { Err(ApiError::Validation(self)) }
    }

    /// Every field with its messages, by field path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(field, messages)| (field.as_str(), messages.as_slice()))
    }

    /// The messages for one field.
    pub fn get(&self, field: &str) -> Option<&[String]> {
        self.0.get(field).map(Vec::as_slice)
    }
}

/// An RFC 9457 problem, as sent to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:baseops:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short human summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Stable machine-readable code (`validation_failed`, `not_found`, …).
    pub code: String,
    /// The request's id, to quote when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Field → messages, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<FieldErrors>,
}

impl Problem {
    /// A problem with the given status, code and detail.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("urn:baseops:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            request_id: None,
            errors: None,
        }
    }

    /// The generic problem for a status with no more specific cause (an unknown route, a
    /// wrong method, a timeout).
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "The resource does not exist."),
            StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "This method is not allowed here."),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "The request body is too large."),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_media_type", "The content type is not supported.")
            }
            StatusCode::REQUEST_TIMEOUT => ("request_timeout", "The request took too long to arrive."),
            StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "The service is unavailable; retry later."),
            StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "Too many requests; retry later."),
            status if status.is_server_error() => ("internal_error", "An internal error occurred."),
            _ => ("bad_request", "The request is not valid."),
        };
        Self::new(status, code, detail)
    }

    /// The status as a [`StatusCode`].
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
        // The server's problem middleware finds it here and adds the request id.
        response.extensions_mut().insert(self);
        response
    }
}

/// Every way a request can fail, mapped once to a status and a problem body.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed (bad JSON syntax, a bad header).
    #[error("{detail}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// 401: no valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// 401 with a specific reason (`invalid_credentials`, `totp_required`, `session_expired`).
    #[error("{detail}")]
    NotAuthenticated {
        /// Stable code.
        code: &'static str,
        /// What is wrong, without revealing whether an account exists.
        detail: String,
    },
    /// 403: authenticated but not allowed.
    #[error("permission denied")]
    Forbidden,
    /// 403: the caller lacks this permission in the active organization.
    #[error("the permission {0} is required")]
    MissingPermission(String),
    /// 403 with a specific reason (`csrf_failed`, `last_owner`).
    #[error("{detail}")]
    Refused {
        /// Stable code.
        code: &'static str,
        /// Why.
        detail: String,
    },
    /// 404: no such record — also for another organization's records.
    #[error("not found")]
    NotFound,
    /// 409: the request conflicts with the record's state.
    #[error("{detail}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// What conflicts.
        detail: String,
    },
    /// 412: `If-Match` did not match the current version.
    #[error("the record was changed by someone else")]
    PreconditionFailed,
    /// 428: an update without `If-Match`; the client must say which version it changes.
    #[error("precondition required")]
    PreconditionRequired,
    /// 413: the body is larger than allowed.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415: the body's content type is not accepted.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: the input is well-formed but invalid.
    #[error("validation failed")]
    Validation(FieldErrors),
    /// 422 with a specific reason that is not about one field (`idempotency_key_reused`).
    #[error("{detail}")]
    Unprocessable {
        /// Stable code.
        code: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// 429: slow down; retry after the given seconds.
    #[error("rate limited")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// 503: a dependency is down; the request may succeed later.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure. The cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A 422 for a single field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        Self::Validation(errors)
    }

    /// Wraps an unexpected error as a 500.
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(error))
    }

    /// The problem sent to the client.
    pub fn problem(&self) -> Problem {
        match self {
            Self::BadRequest { code, detail } => Problem::new(StatusCode::BAD_REQUEST, code, detail),
            Self::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication is required: send a bearer token or log in.",
            ),
            Self::NotAuthenticated { code, detail } => Problem::new(StatusCode::UNAUTHORIZED, code, detail),
            Self::Refused { code, detail } => Problem::new(StatusCode::FORBIDDEN, code, detail),
            Self::Forbidden => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", "You do not have permission to do this.")
            }
            Self::MissingPermission(permission) => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "This needs the permission {permission} in the active organization, which you do not hold."
                ),
            ),
            Self::NotFound => Problem::for_status(StatusCode::NOT_FOUND),
            Self::Conflict { code, detail } => Problem::new(StatusCode::CONFLICT, code, detail),
            Self::PreconditionFailed => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "version_mismatch",
                "The record was changed since you read it; fetch it again and retry.",
            ),
            Self::PreconditionRequired => Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "Send If-Match with the ETag of the version you read.",
            ),
            Self::PayloadTooLarge => Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE),
            Self::UnsupportedMediaType(detail) => {
                Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", detail)
            }
            Self::Validation(errors) => {
                let mut problem = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "Some fields are not valid; see errors.",
                );
                problem.errors = Some(errors.clone());
                problem
            }
            Self::Unprocessable { code, detail } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
            }
            Self::RateLimited { .. } => Problem::for_status(StatusCode::TOO_MANY_REQUESTS),
            Self::Unavailable(detail) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail),
            Self::Internal(_) => Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            // The cause goes to errors.log, with the request span (and so its id) around it.
            tracing::error!(error = %cause, debug = ?cause, "internal error");
        }
        let mut response = self.problem().into_response();
        if let Self::RateLimited { retry_after_secs } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

impl From<baseops_db::sea_orm::DbErr> for ApiError {
    fn from(error: baseops_db::sea_orm::DbErr) -> Self {
        Self::internal(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_status_and_a_stable_code() {
        let cases = [
            (ApiError::BadRequest { code: "malformed_json", detail: "x".into() }, 400, "malformed_json"),
            (ApiError::Unauthenticated, 401, "unauthenticated"),
            (
                ApiError::NotAuthenticated { code: "invalid_credentials", detail: "x".into() },
                401,
                "invalid_credentials",
            ),
            (ApiError::Refused { code: "csrf_failed", detail: "x".into() }, 403, "csrf_failed"),
            (ApiError::Forbidden, 403, "forbidden"),
            (ApiError::MissingPermission("leads.edit".into()), 403, "forbidden"),
            (ApiError::NotFound, 404, "not_found"),
            (
                ApiError::Conflict { code: "invalid_transition", detail: "x".into() },
                409,
                "invalid_transition",
            ),
            (ApiError::PreconditionFailed, 412, "version_mismatch"),
            (ApiError::PreconditionRequired, 428, "precondition_required"),
            (ApiError::PayloadTooLarge, 413, "payload_too_large"),
            (
                ApiError::Unprocessable { code: "idempotency_key_reused", detail: "x".into() },
                422,
                "idempotency_key_reused",
            ),
            (ApiError::UnsupportedMediaType("x".into()), 415, "unsupported_media_type"),
            (ApiError::invalid("email", "is not an e-mail address"), 422, "validation_failed"),
            (ApiError::RateLimited { retry_after_secs: 3 }, 429, "rate_limited"),
            (ApiError::Unavailable("db".into()), 503, "unavailable"),
            (ApiError::internal(std::io::Error::other("disk on fire")), 500, "internal_error"),
        ];
        for (error, status, code) in cases {
            let problem = error.problem();
            assert_eq!((problem.status, problem.code.as_str()), (status, code));
            assert_eq!(problem.problem_type, format!("urn:baseops:problem:{code}"));
            assert!(!problem.detail.contains("disk on fire"), "internal causes never reach the client");
        }
    }

    #[test]
    fn validation_problem_carries_field_errors() {
        let problem = ApiError::invalid("email", "is not an e-mail address").problem();
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["errors"]["email"][0], "is not an e-mail address");
        assert!(json.get("request_id").is_none());
    }
}
