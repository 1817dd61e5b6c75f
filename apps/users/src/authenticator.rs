//! Turns a request's credentials into a [`Principal`]: a bearer token, or the session cookie
//! (with its CSRF check on unsafe methods), then the active organization and the effective
//! permissions there. Resolved principals are cached per credential until access changes
//! anywhere ([`crate::principal_cache`]); a session itself is checked on every request.

use std::sync::Arc;

use baseops_core::{Actor, ApiError, AppState, Authenticator, Grants, OrganizationChoice, Principal, Viewer};
use chrono::{Duration, Utc};
use http::request::Parts;
use http::{Method, header};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::model::{api_token, membership, user};
use crate::principal_cache::{Cached, Key, PrincipalCache, TokenFacts, ViewerFacts};
use crate::secret::{digest, same};
use crate::selector::organization_get_by_ref;
use crate::service::token::{TOKEN_PREFIX, scopes_of};
use crate::session_store::SessionStore;

/// The header that chooses the organization for session users with several.
pub const ORGANIZATION_HEADER: &str = "x-organization";
/// The header carrying the CSRF token on unsafe requests made with the session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The users app's [`Authenticator`].
#[derive(Debug, Clone, Copy, Default)]
pub struct UsersAuthenticator;

fn unauthenticated(detail: &str) -> ApiError {
    ApiError::NotAuthenticated { code: "unauthenticated", detail: detail.to_owned() }
}

pub use baseops_core::cookie;

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[async_trait::async_trait]
impl Authenticator for UsersAuthenticator {
    async fn authenticate(&self, state: &AppState, parts: &mut Parts) -> Result<Option<Principal>, ApiError> {
        if let Some(token) = bearer(parts) {
            return from_token(state, parts, token).await.map(Some);
        }
        let Some(cookie_value) = cookie(&parts.headers, &state.settings().session.cookie_name) else {
            return Ok(None);
        };
        let cookie_value = cookie_value.to_owned();
        from_session(state, parts, &cookie_value).await.map(Some)
    }

    async fn viewer(
        &self,
        state: &AppState,
        parts: &Parts,
        principal: &Principal,
    ) -> Result<Option<Viewer>, ApiError> {
        let seen = match parts.extensions.get::<SessionSeen>() {
            Some(seen) => seen.clone(),
            None => {
                // Authenticated by some other path: read the session here.
                let Some(cookie_value) = cookie(&parts.headers, &state.settings().session.cookie_name) else {
                    return Ok(None);
                };
                let sessions = SessionStore::of(state);
                let Some(session) = sessions
                    .find_live(state.db().write(), state.settings(), cookie_value, Utc::now())
                    .await?
                else {
                    return Ok(None);
                };
                let Some(owner) = user::Entity::find_by_id(session.user_id).one(state.db().read()).await?
                else {
                    return Ok(None);
                };
                SessionSeen { csrf_token: session.csrf_token, facts: viewer_facts(state, &owner).await? }
            }
        };
        if seen.facts.user_id != principal.user_id {
            return Ok(None);
        }
        let facts = &*seen.facts;
        Ok(Some(Viewer {
            user_id: facts.user_id,
            email: facts.email.clone(),
            display_name: facts.display_name.clone(),
            csrf_token: seen.csrf_token,
            organizations: facts.organizations.clone(),
            organization_id: principal.organization_id,
            is_superuser: principal.is_superuser,
        }))
    }
}

/// The session a request was authenticated by, as the console's frame needs it; left in the
/// request's extensions by [`from_session`] so [`UsersAuthenticator::viewer`] reads nothing.
#[derive(Debug, Clone)]
struct SessionSeen {
    csrf_token: String,
    facts: Arc<ViewerFacts>,
}

/// What the frame shows of a user, read once and cached with their principal.
async fn viewer_facts(state: &AppState, owner: &user::Model) -> Result<Arc<ViewerFacts>, ApiError> {
    let organizations = crate::selector::organization_list_for_user(state.db().read(), owner.id)
        .await?
        .into_iter()
        .map(|org| OrganizationChoice { id: org.id, name: org.name, slug: org.slug })
        .collect();
    let display_name =
        if owner.display_name.trim().is_empty() { owner.email.clone() } else { owner.display_name.clone() };
    Ok(Arc::new(ViewerFacts { user_id: owner.id, email: owner.email.clone(), display_name, organizations }))
}

/// How often a token's `last_used_at` is written: often enough to tell live tokens from
/// forgotten ones, rarely enough that busy clients don't write on every request.
const LAST_USED_EVERY: Duration = Duration::seconds(60);

async fn from_token(state: &AppState, parts: &Parts, token: &str) -> Result<Principal, ApiError> {
    let invalid = || unauthenticated("The bearer token is invalid, expired or revoked.");
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 100 {
        return Err(invalid());
    }
    let now = Utc::now();
    let cache = PrincipalCache::of(state);
    let key = Key::Token {
        digest: digest(token),
        organization: header_value(parts, ORGANIZATION_HEADER).map(str::to_owned),
    };
    let version = match &cache {
        Some(cache) => cache.version(state).await?,
        None => None,
    };
    if let (Some(cache), Some(version)) = (&cache, version)
        && let Some(entry) = cache.get(&key, version)
        && let Cached::Token(facts) = entry.cached
    {
        if facts.expires_at.is_some_and(|at| at <= now) {
            return Err(invalid());
        }
        if facts.last_used_at.is_none_or(|at| now - at > LAST_USED_EVERY) {
            record_use(state, facts.id, now).await?;
            cache.token_used(&key, now);
        }
        return Ok(entry.principal);
    }
    let (principal, facts) = load_token_principal(state, parts, &key, now).await?.ok_or_else(invalid)?;
    if let (Some(cache), Some(version)) = (cache, version) {
        cache.put(key, version, principal.clone(), Cached::Token(facts));
    }
    Ok(principal)
}

/// The principal of a token read from the database, with the facts a cached one still needs.
async fn load_token_principal(
    state: &AppState,
    parts: &Parts,
    key: &Key,
    now: chrono::DateTime<Utc>,
) -> Result<Option<(Principal, TokenFacts)>, ApiError> {
    let Key::Token { digest, .. } = key else { return Ok(None) };
    let db = state.db();
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(digest.as_str()))
        .one(db.read())
        .await?
        .filter(|row| row.revoked_at.is_none() && row.expires_at.is_none_or(|at| at > now))
    else {
        return Ok(None);
    };
    let Some(owner) = user::Entity::find_by_id(row.user_id).one(db.read()).await?.filter(|u| u.is_active)
    else {
        return Ok(None);
    };
    // A token works in its own organization only.
    if let Some(asked) = header_value(parts, ORGANIZATION_HEADER) {
        let matches = organization_get_by_ref(db.read(), asked)
            .await?
            .is_some_and(|org| Some(org.id) == row.organization_id);
        if !matches {
            return Err(ApiError::NotFound);
        }
    }
    let scopes = scopes_of(&row);
    let grants = match row.organization_id {
        Some(org) => crate::selector::grants_of(db.read(), owner.id, org)
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|(name, _)| scopes.contains(name))
            .collect(),
        None => Grants::new(),
    };
    let mut last_used_at = row.last_used_at;
    if last_used_at.is_none_or(|at| now - at > LAST_USED_EVERY) {
        record_use(state, row.id, now).await?;
        last_used_at = Some(now);
    }
    let principal = Principal {
        actor: Actor::Token { user_id: owner.id, token_id: row.id },
        user_id: owner.id,
        organization_id: row.organization_id,
        // A token never carries superuser powers: it is limited to its scopes.
        is_superuser: false,
        grants: Arc::new(grants),
    };
    Ok(Some((principal, TokenFacts { id: row.id, expires_at: row.expires_at, last_used_at })))
}

async fn record_use(state: &AppState, token_id: Uuid, now: chrono::DateTime<Utc>) -> Result<(), ApiError> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(api_token::Column::Id.eq(token_id))
        .exec(state.db().write())
        .await?;
    Ok(())
}

async fn from_session(
    state: &AppState,
    parts: &mut Parts,
    cookie_value: &str,
) -> Result<Principal, ApiError> {
    let db = state.db();
    let now = Utc::now();
    let expired = || unauthenticated("The session has ended; log in again.");
    let sessions = SessionStore::of(state);
    let found =
        sessions.find_live(db.write(), state.settings(), cookie_value, now).await?.ok_or_else(expired)?;
    if !is_safe(&parts.method) {
        let sent = header_value(parts, CSRF_HEADER).unwrap_or_default();
        if !same(sent, &found.csrf_token) {
            return Err(ApiError::Refused {
                code: "csrf_failed",
                detail: format!("Send the session's CSRF token in the {CSRF_HEADER} header."),
            });
        }
    }
    sessions.touch(db.write(), state.settings(), &found, now).await?;
    let cache = PrincipalCache::of(state);
    let key = Key::User {
        user_id: found.user_id,
        organization: header_value(parts, ORGANIZATION_HEADER).map(str::to_owned),
    };
    let version = match &cache {
        Some(cache) => cache.version(state).await?,
        None => None,
    };
    if let (Some(cache), Some(version)) = (&cache, version)
        && let Some(entry) = cache.get(&key, version)
        && let Cached::Session(facts) = entry.cached
    {
        parts.extensions.insert(SessionSeen { csrf_token: found.csrf_token, facts });
        return Ok(entry.principal);
    }
    let owner = user::Entity::find_by_id(found.user_id)
        .one(db.read())
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(expired)?;
    let organization_id = active_organization(state, parts, owner.id, owner.is_superuser).await?;
    let grants = match organization_id {
        Some(org) => crate::selector::grants_of(db.read(), owner.id, org).await?.unwrap_or_default(),
        None => Grants::new(),
    };
    let principal = Principal {
        actor: Actor::User { user_id: owner.id },
        user_id: owner.id,
        organization_id,
        is_superuser: owner.is_superuser,
        grants: Arc::new(grants),
    };
    let facts = viewer_facts(state, &owner).await?;
    if let (Some(cache), Some(version)) = (cache, version) {
        cache.put(key, version, principal.clone(), Cached::Session(facts.clone()));
    }
    parts.extensions.insert(SessionSeen { csrf_token: found.csrf_token, facts });
    Ok(principal)
}

/// `X-Organization` (id or slug) when given — 404 unless the user is a member (or a
/// superuser); otherwise the user's only organization, if they have exactly one.
async fn active_organization(
    state: &AppState,
    parts: &Parts,
    user_id: Uuid,
    is_superuser: bool,
) -> Result<Option<Uuid>, ApiError> {
    let db = state.db().read();
    let memberships =
        membership::Entity::find().filter(membership::Column::UserId.eq(user_id)).all(db).await?;
    match header_value(parts, ORGANIZATION_HEADER) {
        Some(asked) => {
            let org = organization_get_by_ref(db, asked).await?.ok_or(ApiError::NotFound)?;
            if is_superuser || memberships.iter().any(|m| m.organization_id == org.id) {
                Ok(Some(org.id))
            } else {
                Err(ApiError::NotFound)
            }
        }
        None if memberships.len() == 1 => Ok(Some(memberships[0].organization_id)),
        None => Ok(None),
    }
}

fn header_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
