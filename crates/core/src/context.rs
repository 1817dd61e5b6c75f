//! The request context handlers pass to services and selectors.

use std::fmt;
use std::net::IpAddr;

use axum::extract::FromRequestParts;
use http::request::Parts;
use uuid::Uuid;

use crate::{Acting, Actor, ApiError, AppState, Origin, Principal, Scope};

/// The id of one request: from a valid `X-Request-Id` header, or a new UUIDv7.
///
/// It is in every log line of the request, in every problem response, and (with the audit
/// issue) in every audit record, so one id joins them all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

/// Longest request id accepted from a client.
const MAX_REQUEST_ID_LEN: usize = 128;

impl RequestId {
    /// A new random, time-ordered id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// Accepts a client's id when it is short and made of `[A-Za-z0-9._:-]`, so it can't
    /// inject into logs; `None` otherwise.
    pub fn from_client(value: &str) -> Option<Self> {
        let valid = !value.is_empty()
            && value.len() <= MAX_REQUEST_ID_LEN
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        valid.then(|| Self(value.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who asks, in which organization, under which request: what services need to know.
///
/// Extracting it authenticates the request (401 without valid credentials). Handlers take it
/// first, call [`RequestContext::require`] once for the permission the endpoint needs, and
/// pass `&ctx` to the service or selector, which reads the organization from it — never from
/// a loose parameter a caller could mix up.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// Where the request came from.
    pub origin: Origin,
    /// Who makes it.
    pub principal: Principal,
}

impl RequestContext {
    /// A context for work outside HTTP (jobs, commands, tests).
    pub fn new(principal: Principal, origin: Origin) -> Self {
        Self { origin, principal }
    }

    /// The request's id.
    pub fn request_id(&self) -> &RequestId {
        &self.origin.request_id
    }

    /// Who acts.
    pub fn actor(&self) -> &Actor {
        &self.principal.actor
    }

    /// The actor and origin, for services' audit records.
    pub fn acting(&self) -> Acting<'_> {
        Acting { actor: &self.principal.actor, origin: &self.origin }
    }

    /// The acting user's id.
    pub fn user_id(&self) -> Uuid {
        self.principal.user_id
    }

    /// The active organization, or 400 `organization_required` when the user has several and
    /// chose none (`X-Organization`), or none at all.
    pub fn organization_id(&self) -> Result<Uuid, ApiError> {
        self.principal.organization_id.ok_or(ApiError::BadRequest {
            code: "organization_required",
            detail: "Choose an organization with the X-Organization header (its id or slug).".into(),
        })
    }

    /// The one permission check at the top of a handler: the scope the actor holds
    /// `permission` with in the active organization, or 403 naming the permission.
    pub fn require(&self, permission: &str) -> Result<Scope, ApiError> {
        self.organization_id()?;
        self.principal.scope(permission).ok_or_else(|| ApiError::MissingPermission(permission.to_owned()))
    }

    /// 403 unless the actor holds `permission` for the whole organization (scope `all`): for
    /// organization-wide settings, which no one owns. The answer names what is missing.
    ///
    /// # Errors
    /// As [`Self::require`]; [`ApiError::Refused`] (`forbidden`) when the scope is `own`.
    pub fn require_all(&self, permission: &str) -> Result<(), ApiError> {
        match self.require(permission)? {
            Scope::All => Ok(()),
            Scope::Own => Err(ApiError::Refused {
                code: "forbidden",
                detail: format!(
                    "This needs the permission {permission} for the whole organization; you hold it for your own records only."
                ),
            }),
        }
    }

    /// 403 `session_required` unless a person signed in with a session makes the request:
    /// the account itself — its profile, credentials (password, second factor, tokens,
    /// sessions), memberships of one's own, its notifications — is never open to an API
    /// token, whatever its scopes: a token leaked from a script must not be able to take the
    /// account over or read the person's inbox.
    ///
    /// # Errors
    /// [`ApiError::Refused`] (`session_required`) for tokens and the system.
    pub fn require_session(&self) -> Result<(), ApiError> {
        match self.actor() {
            Actor::User { .. } => Ok(()),
            _ => Err(ApiError::Refused {
                code: "session_required",
                detail: "This is your account itself (profile, credentials, sessions or notifications): sign in with a session; an API token cannot reach it.".into(),
            }),
        }
    }

    /// Whether the actor holds `permission` (any scope) in the active organization.
    pub fn can(&self, permission: &str) -> bool {
        self.principal.organization_id.is_some() && self.principal.scope(permission).is_some()
    }
}

impl FromRequestParts<AppState> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let origin = Origin::from_request_parts(parts, state).await?;
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(Self { origin, principal: principal.clone() });
        }
        let authenticator = state.authenticator().ok_or(ApiError::Unauthenticated)?;
        let principal = authenticator.authenticate(state, parts).await?.ok_or(ApiError::Unauthenticated)?;
        parts.extensions.insert(principal.clone());
        Ok(Self { origin, principal })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // The server's request-id middleware always sets it; a request built outside it
        // (a test of a bare router) still gets a fresh id rather than none.
        let request_id = parts.extensions.get::<RequestId>().cloned().unwrap_or_else(RequestId::generate);
        let ip = parts.extensions.get::<ClientIp>().map(|client| client.0);
        let user_agent = parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(Origin::MAX_USER_AGENT_LEN).collect());
        Ok(Self { request_id, ip, user_agent })
    }
}

/// The client's address as the server determined it (the peer, or the address a trusted
/// proxy reported); set by the server's middleware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request_ids_are_checked() {
        assert_eq!(RequestId::from_client("abc-123_x.y:z").unwrap().as_str(), "abc-123_x.y:z");
        assert!(RequestId::from_client("").is_none());
        assert!(RequestId::from_client("has space").is_none());
        assert!(RequestId::from_client("line\nbreak").is_none());
        assert!(RequestId::from_client(&"a".repeat(129)).is_none());
        assert_eq!(RequestId::generate().as_str().len(), 36);
    }
}
