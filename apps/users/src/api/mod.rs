//! The users app's JSON API: authentication, the current user, organizations and tokens.

pub(crate) mod auth;
pub(crate) mod invitations;
mod me;
pub(crate) mod members;
mod organizations;
mod recovery;
pub(crate) mod sessions;
pub(crate) mod tokens;
mod two_factor;

use axum::http::HeaderMap;
use baseops_core::{ApiError, AppState, RequestContext};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::authenticator::cookie;
use crate::model::{organization, session, user};
use crate::session_store::SessionStore;

/// Every route of the users app, under `/api/v1`.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::token))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_everywhere))
        .routes(routes!(me::me, me::update_me))
        .routes(routes!(me::change_password))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::revoke))
        .routes(routes!(organizations::list, organizations::create))
        .routes(routes!(organizations::update, organizations::delete))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(members::list))
        .routes(routes!(members::set_roles))
        .routes(routes!(members::remove))
        .routes(routes!(members::deactivate_user))
        .routes(routes!(two_factor::setup))
        .routes(routes!(two_factor::enable))
        .routes(routes!(two_factor::disable))
        .routes(routes!(recovery::password_reset_request))
        .routes(routes!(recovery::confirm_password_reset))
        .routes(routes!(recovery::email_verification_request))
        .routes(routes!(recovery::confirm_email_verification))
        .routes(routes!(invitations::list, invitations::create))
        .routes(routes!(invitations::revoke))
        .routes(routes!(invitations::accept))
}

/// The session a request was made with: 403 `session_required` for an API token, 401 when
/// the session has ended meanwhile.
pub(crate) async fn current_session(
    state: &AppState,
    ctx: &RequestContext,
    headers: &HeaderMap,
) -> Result<session::Model, ApiError> {
    ctx.require_session()?;
    let value = cookie(headers, &state.settings().session.cookie_name).ok_or(ApiError::Unauthenticated)?;
    SessionStore::of(state)
        .find_live(state.db().write(), state.settings(), value, Utc::now())
        .await?
        .ok_or(ApiError::Unauthenticated)
}

/// A user as the API shows it: never the password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// E-mail address, lower-case.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Locale.
    pub locale: String,
    /// Storage key of the avatar image.
    pub avatar_key: Option<String>,
    /// Whether the user can log in.
    pub is_active: bool,
    /// Whether the user holds every permission everywhere.
    pub is_superuser: bool,
    /// When the e-mail address was verified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// The profile's version: send it as `If-Match: "<version>"` to `PATCH /me` (also the
    /// `ETag` of `GET /me`).
    pub version: i32,
}

impl From<user::Model> for UserOut {
    fn from(model: user::Model) -> Self {
        Self {
            id: model.id,
            email: model.email,
            display_name: model.display_name,
            time_zone: model.time_zone,
            locale: model.locale,
            avatar_key: model.avatar_key,
            is_active: model.is_active,
            is_superuser: model.is_superuser,
            email_verified_at: model.email_verified_at,
            last_login_at: model.last_login_at,
            created_at: model.created_at,
            version: model.version,
        }
    }
}

/// An organization as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationOut {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// URL name, usable in `X-Organization`.
    pub slug: String,
    /// Default currency (ISO 4217).
    pub currency: String,
    /// Default time zone.
    pub time_zone: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Bumped by every change: send it as `If-Match: "<version>"` to
    /// `PATCH /organizations/{id}`.
    pub version: i32,
}

impl From<organization::Model> for OrganizationOut {
    fn from(model: organization::Model) -> Self {
        Self {
            id: model.id,
            name: model.name,
            slug: model.slug,
            currency: model.currency,
            time_zone: model.time_zone,
            created_at: model.created_at,
            version: model.version,
        }
    }
}
