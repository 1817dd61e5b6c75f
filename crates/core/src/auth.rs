//! Authentication as every app sees it: the principal a request is made by, how far a
//! granted permission reaches, and the authenticator the identity apps install.
//!
//! The identity apps implement [`Authenticator`] (sessions, API tokens, memberships, roles)
//! and install it in [`AppState`]; other apps only use [`RequestContext::require`].

use std::collections::BTreeMap;
use std::sync::Arc;

use http::request::Parts;
use serde::Serialize;
use uuid::Uuid;

use crate::{Actor, ApiError, AppState};

/// How far a granted permission reaches.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Records the actor created or is assigned to.
    Own,
    /// Every record of the organization.
    All,
}

impl Scope {
    /// `own` or `all`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::All => "all",
        }
    }

    /// Parses `own` or `all`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "own" => Some(Self::Own),
            "all" => Some(Self::All),
            _ => None,
        }
    }
}

/// The value of the named cookie in a request's headers, if any.
pub fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Effective permissions in the active organization: name → widest scope granted.
pub type Grants = BTreeMap<String, Scope>;

/// Who makes the request, in which organization, with which permissions; computed once per
/// request by the [`Authenticator`].
#[derive(Clone, Debug)]
pub struct Principal {
    /// The user, or the user behind an API token.
    pub actor: Actor,
    /// The user's id.
    pub user_id: Uuid,
    /// The active organization, when the user has one for this request.
    pub organization_id: Option<Uuid>,
    /// Superusers hold every permission with scope `all` in every organization.
    pub is_superuser: bool,
    /// Effective permissions in the active organization (already narrowed to the token's scopes).
    pub grants: Arc<Grants>,
}

impl Principal {
    /// The scope this principal holds `permission` with, if any.
    pub fn scope(&self, permission: &str) -> Option<Scope> {
        if self.is_superuser && self.organization_id.is_some() {
            return Some(Scope::All);
        }
        self.grants.get(permission).copied()
    }
}

/// Turns a request's credentials (session cookie, bearer token) into a [`Principal`].
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// `Ok(None)` when the request carries no credentials; an error (401, 403 for a failed
    /// CSRF check, 404 for an unknown organization) when they are invalid. What it learned
    /// on the way (the session) it may leave in `parts.extensions` for [`Self::viewer`], so a
    /// console page does not read it twice.
    async fn authenticate(&self, state: &AppState, parts: &mut Parts) -> Result<Option<Principal>, ApiError>;

    /// What the console shows of the person behind a session `principal`: `None` for tokens,
    /// and for authenticators that have no sessions.
    async fn viewer(
        &self,
        _state: &AppState,
        _parts: &Parts,
        _principal: &Principal,
    ) -> Result<Option<Viewer>, ApiError> {
        Ok(None)
    }
}

/// The person signed in to the console: who, in which organizations, and the session's CSRF
/// token its forms carry.
#[derive(Clone, Debug, Serialize)]
pub struct Viewer {
    /// The user's id.
    pub user_id: Uuid,
    /// E-mail address.
    pub email: String,
    /// Display name (the e-mail address when blank).
    pub display_name: String,
    /// The session's CSRF token.
    #[serde(skip)]
    pub csrf_token: String,
    /// The organizations the user may switch between, by name.
    pub organizations: Vec<OrganizationChoice>,
    /// The active one, if any.
    pub organization_id: Option<Uuid>,
    /// Platform staff.
    pub is_superuser: bool,
}

/// An organization in the console's switcher.
#[derive(Clone, Debug, Serialize)]
pub struct OrganizationChoice {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its slug.
    pub slug: String,
}
