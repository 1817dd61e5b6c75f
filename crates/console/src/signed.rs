//! The person behind a console request: signed in with a session (a token never opens the
//! console), or sent to the sign-in page with the page they wanted.

use axum::extract::FromRequestParts;
use baseops_core::{Actor, ApiError, AppState, RequestContext, Viewer};
use http::request::Parts;

use std::sync::Arc;

use axum::response::Response;
use serde::Serialize;

use crate::{Console, ConsoleError, Crumb};

/// A console request's context and the person making it.
#[derive(Clone, Debug)]
pub struct Signed {
    /// What services and selectors take.
    pub ctx: RequestContext,
    /// Who is signed in, for the frame.
    pub viewer: Viewer,
    /// The requested path and query, for the navigation's current entry.
    pub path: String,
    /// Each list's chosen columns, from its cookie ([`crate::list::columns`]).
    chosen_columns: Vec<(String, String)>,
    console: Arc<Console>,
}

impl Signed {
    /// Whether the person holds `permission` (any scope) in the active organization.
    pub fn can(&self, permission: &str) -> bool {
        self.ctx.can(permission)
    }

    /// The composed console.
    pub fn console(&self) -> &Console {
        &self.console
    }

    /// The columns this person chose for `list` (the cookie's value), if any.
    pub fn chosen_columns(&self, list: &str) -> Option<&str> {
        self.chosen_columns.iter().find(|(name, _)| name == list).map(|(_, value)| value.as_str())
    }

    /// Renders `template` in the frame for this person ([`Console::page`]).
    pub fn page(&self, template: &str, crumbs: Vec<Crumb>, context: impl Serialize) -> Response {
        self.console.page(self, template, crumbs, context)
    }
}

/// Where a request should come back to after signing in: its own path, when it is a page.
fn wanted(parts: &Parts) -> Option<String> {
    (parts.method == http::Method::GET).then(|| {
        parts.uri.path_and_query().map_or_else(|| "/admin".to_owned(), |path| path.as_str().to_owned())
    })
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let console = parts.extensions.get::<Arc<Console>>().cloned().ok_or_else(|| {
            ConsoleError::Api(ApiError::internal(std::io::Error::other(
                "the console router is not installed",
            )))
        })?;
        let next = wanted(parts);
        let sign_in = || ConsoleError::SignIn { next: next.clone() };
        let ctx = match RequestContext::from_request_parts(parts, state).await {
            Ok(ctx) => ctx,
            Err(ApiError::Unauthenticated | ApiError::NotAuthenticated { .. }) => return Err(sign_in()),
            Err(error) => return Err(error.into()),
        };
        if !matches!(ctx.actor(), Actor::User { .. }) {
            return Err(sign_in());
        }
        let authenticator = state.authenticator().ok_or_else(sign_in)?;
        let viewer = authenticator.viewer(state, parts, &ctx.principal).await?.ok_or_else(sign_in)?;
        let path = parts.uri.path().to_owned();
        let chosen_columns = crate::list::chosen_columns(&parts.headers);
        Ok(Self { ctx, viewer, path, chosen_columns, console })
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Signed {
    type Rejection = ConsoleError;

    /// `None` for a request without a usable session (pages open to everyone, such as
    /// accepting an invitation); other failures (a forged form) stay errors.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Self as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(signed) => Ok(Some(signed)),
            Err(ConsoleError::SignIn { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}
