//! Errors of console handlers: a page for people, not `problem+json`. A handler returns
//! [`ConsoleError`]; the kit's middleware renders it in the console's error template.

use axum::response::{IntoResponse, Redirect, Response};
use baseops_core::ApiError;
use http::StatusCode;

/// What went wrong in a console request.
#[derive(Debug)]
pub enum ConsoleError {
    /// Not signed in: to the sign-in page, coming back to `next` afterwards.
    SignIn {
        /// The page to return to.
        next: Option<String>,
    },
    /// A service's or selector's error, shown as a page with its status.
    Api(ApiError),
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

/// The error a response carries for the kit's middleware to render.
#[derive(Clone, Debug)]
pub(crate) struct ErrorPage {
    pub(crate) status: StatusCode,
    pub(crate) title: String,
    pub(crate) detail: String,
}

/// The sign-in page's URL, with the page to return to.
pub fn sign_in_url(next: Option<&str>) -> String {
    match next.filter(|next| is_local_page(next)) {
        Some(next) if next != "/admin" => {
            format!(
                "/admin/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            )
        }
        _ => "/admin/login".to_owned(),
    }
}

/// Whether `path` is one of the console's own pages — the only place a sign-in may send a
/// browser on to (never another host: `//evil.example`, `/admin\@evil`).
pub fn is_local_page(path: &str) -> bool {
    (path == "/admin" || path.starts_with("/admin/") || path.starts_with("/admin?"))
        && !path.contains("//")
        && !path.contains('\\')
        && path.bytes().all(|byte| byte.is_ascii_graphic())
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn { next } => Redirect::to(&sign_in_url(next.as_deref())).into_response(),
            Self::Api(error) => {
                if matches!(error, ApiError::Internal(_)) {
                    tracing::error!(error = %error, "console request failed");
                }
                let problem = error.problem();
                let page = ErrorPage {
                    status: problem.status_code(),
                    title: problem.title.clone(),
                    detail: problem.detail.clone(),
                };
                let mut response = problem.status_code().into_response();
                response.extensions_mut().insert(page);
                response
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_only_returns_to_local_pages() {
        assert_eq!(sign_in_url(Some("/admin/leads?q=a b")), "/admin/login");
        assert_eq!(sign_in_url(Some("/admin/leads?q=a")), "/admin/login?next=%2Fadmin%2Fleads%3Fq%3Da");
        assert_eq!(sign_in_url(Some("//evil.example/admin")), "/admin/login");
        assert_eq!(sign_in_url(Some("https://evil.example/admin")), "/admin/login");
        assert_eq!(sign_in_url(Some("/admin//evil.example")), "/admin/login");
        assert_eq!(sign_in_url(Some("/admin\\@evil")), "/admin/login");
        assert_eq!(sign_in_url(Some("/administrator")), "/admin/login");
        assert_eq!(sign_in_url(None), "/admin/login");
    }
}
