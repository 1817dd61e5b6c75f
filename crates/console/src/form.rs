//! What console forms share: a form's failure as its page shows it, the fixed success
//! messages a redirect names, the headers of pages that show secrets, and the answers a
//! page's own script asks for (a fragment rather than a page).

use std::collections::BTreeMap;

use crate::ConsoleError;
use axum::response::{IntoResponse, Redirect, Response};
use baseops_core::{ApiError, FieldErrors};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Serialize;

/// A form the service refused: which form, what the page says above it, the problems by
/// field (`scopes[2]` is shown under `scopes`), and the status the page answers with.
#[derive(Debug, Serialize)]
pub struct Failure {
    /// Which form of the page failed.
    pub form: &'static str,
    /// What the page says above it.
    pub message: String,
    /// The problems by field.
    pub fields: BTreeMap<String, Vec<String>>,
    /// The status the page answers with.
    #[serde(skip)]
    pub status: StatusCode,
    /// Seconds to wait, when throttled.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Failure {
    /// `error` shown with `form`; errors that are not about what was typed (a missing
    /// permission, another organization's record, a bug) stay error pages, and an ended
    /// session goes back to sign-in.
    pub fn of(form: &'static str, error: ApiError) -> Result<Self, ConsoleError> {
        let problem = error.problem();
        let mut failure = Self {
            form,
            message: problem.detail.clone(),
            fields: BTreeMap::new(),
            status: problem.status_code(),
            retry_after: None,
        };
        match error {
            ApiError::Unauthenticated | ApiError::NotAuthenticated { .. } => {
                Err(ConsoleError::SignIn { next: None })
            }
            ApiError::Validation(errors) => {
                failure.message = "Some fields are not valid; see below.".to_owned();
                for (path, messages) in errors.iter() {
                    let field = path.split('[').next().unwrap_or(path).to_owned();
                    failure.fields.entry(field).or_default().extend(messages.iter().cloned());
                }
                Ok(failure)
            }
            ApiError::RateLimited { retry_after_secs } => {
                failure.message = format!("Too many attempts. Try again in {retry_after_secs} seconds.");
                failure.retry_after = Some(retry_after_secs);
                Ok(failure)
            }
            ApiError::Refused { .. }
            | ApiError::Conflict { .. }
            | ApiError::PreconditionFailed
            | ApiError::Unprocessable { .. }
            | ApiError::BadRequest { .. } => Ok(failure),
            other => Err(other.into()),
        }
    }

    /// `error` shown with an edit form of a `noun` (a lead, a role): as [`Failure::of`], and a
    /// version changed since the form was opened says that nothing was saved and why.
    pub fn of_edit(form: &'static str, error: ApiError, noun: &str) -> Result<Self, ConsoleError> {
        let stale = matches!(error, ApiError::PreconditionFailed);
        let mut failure = Self::of(form, error)?;
        if stale {
            failure.message = format!(
                "Someone changed this {noun} after you opened it, so nothing was saved. Open it again to see \
                 the current version, then make your change."
            );
        }
        Ok(failure)
    }

    /// A problem with one field, found before any service was asked.
    pub fn field(form: &'static str, field: &str, message: &str) -> Result<Self, ConsoleError> {
        Self::of(form, ApiError::invalid(field, message))
    }

    /// The page rendered for this failure: its status, and `Retry-After` when throttled.
    pub fn answer(&self, mut page: Response) -> Response {
        if page.status() == StatusCode::OK {
            *page.status_mut() = self.status;
        }
        if let Some(seconds) = self.retry_after {
            page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        page
    }
}

/// `page` as answered for an optional failure: unchanged without one.
pub fn answer(failure: Option<&Failure>, page: Response) -> Response {
    match failure {
        Some(failure) => failure.answer(page),
        None => page,
    }
}

/// Marks a page that shows a secret (a new token, recovery codes, a TOTP secret) as never
/// to be stored, whatever the server's default.
pub fn no_store(mut page: Response) -> Response {
    page.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    page
}

/// The redirect after a change: back to `page` (its query kept), naming one of its fixed
/// messages.
pub fn done(page: &str, key: &'static str) -> Response {
    let separator = if page.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{page}{separator}done={key}")).into_response()
}

/// The `?done=` of a page, as a browser sends it.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    /// The message's key.
    #[serde(default)]
    pub done: String,
}

/// A new-record form's own idempotency key (a hidden field made when the form was shown):
/// 1 to 255 visible ASCII characters, as `Idempotency-Key` takes them; anything else is no key.
pub fn idempotency_key(field: &str) -> Option<&str> {
    let key = field.trim();
    (!key.is_empty() && key.len() <= 255 && key.bytes().all(|byte| byte.is_ascii_graphic())).then_some(key)
}

/// The values of `key` in a form with repeated fields (check boxes).
pub fn all<'a>(fields: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> {
    fields.iter().filter(move |(name, _)| name == key).map(|(_, value)| value.as_str())
}

/// The first value of `key`, or empty.
pub fn one<'a>(fields: &'a [(String, String)], key: &str) -> &'a str {
    fields.iter().find(|(name, _)| name == key).map_or("", |(_, value)| value.as_str())
}

/// Whether a page's own script sent the request (`X-Requested-With: fetch`) and wants a
/// fragment to put in place rather than a whole page.
pub fn from_script(headers: &HeaderMap) -> bool {
    headers.get("x-requested-with").is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"fetch"))
}

/// Field errors as sentences people read (`Lost reason is required when a lead is lost.`),
/// each field named by its label in `labels` (or as it is).
pub fn sentences(errors: &FieldErrors, labels: &[(&str, &str)]) -> String {
    errors
        .iter()
        .flat_map(|(field, messages)| {
            let label = labels.iter().find(|(name, _)| *name == field).map_or(field, |(_, label)| *label);
            messages.iter().map(move |message| format!("{label} {message}."))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The field errors of a refused form, for a template (`errors.password[0]`).
pub fn field_errors(error: &ApiError) -> Option<crate::Value> {
    let ApiError::Validation(errors) = error else { return None };
    Some(crate::value(errors))
}

#[cfg(test)]
mod tests {
    use super::idempotency_key;

    #[test]
    fn an_idempotency_key_is_visible_ascii_of_a_bounded_length() {
        assert_eq!(idempotency_key(" 01a2-b3 "), Some("01a2-b3"));
        for bad in ["", "   ", "a b", "key\u{0}", "schlüssel", &"k".repeat(256)] {
            assert_eq!(idempotency_key(bad), None, "{bad:?}");
        }
        assert!(idempotency_key(&"k".repeat(255)).is_some());
    }
}
