//! `GET/PATCH /me` and `POST /me/password`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use baseops_core::{ApiError, AppState, ETag, Json, OptionalIfMatch, Problem, RequestContext, Scope};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{OrganizationOut, UserOut, current_session};
use crate::password::{Password, PasswordHashing};
use crate::selector::{organization_list_for_user, user_get};
use crate::service::reauth::{Asking, Proof, reauthenticate};
use crate::service::security_mail::PasswordSetBy;
use crate::service::user::{NewPassword, ProfileChange, user_set_password, user_update_profile};
use crate::session_store::SessionStore;

/// The current user, their organizations and their permissions in the active one.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    /// The user.
    pub user: UserOut,
    /// Every organization they belong to.
    pub organizations: Vec<OrganizationOut>,
    /// The organization this request acts in, if any.
    pub active_organization_id: Option<Uuid>,
    /// Effective permissions there: name → `own` or `all`.
    pub permissions: BTreeMap<String, Scope>,
    /// `session` or `token`.
    pub authenticated_by: &'static str,
}

/// Who am I, where, and what may I do. The `ETag` is the version of the user's profile
/// (`user.version`), for `If-Match` on `PATCH /me`.
#[utoipa::path(get, path = "/me", operation_id = "me_get", tag = "me", responses(
        (status = 200, description = "The current user", body = MeOut, headers(("ETag" = String, description = "The profile's version, for If-Match on PATCH /me"))),
        (status = 404, description = "X-Organization names an organization you are not in", body = Problem),
    ))]
pub(super) async fn me(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<(ETag, Json<MeOut>), ApiError> {
    let db = state.db().read();
    let user = user_get(db, ctx.user_id()).await?.ok_or(ApiError::Unauthenticated)?;
    let organizations = organization_list_for_user(db, user.id).await?;
    let permissions = match ctx.principal.organization_id {
        Some(_) if ctx.principal.is_superuser => state
            .permissions()
            .permissions()
            .iter()
            .map(|permission| (permission.name.to_owned(), Scope::All))
            .collect(),
        Some(_) => (*ctx.principal.grants).clone(),
        None => BTreeMap::new(),
    };
    Ok((
        ETag(user.version),
        Json(MeOut {
            user: user.into(),
            organizations: organizations.into_iter().map(Into::into).collect(),
            active_organization_id: ctx.principal.organization_id,
            permissions,
            authenticated_by: ctx.actor().kind(),
        }),
    ))
}

/// Changes the current user's name, time zone or locale. `If-Match` is optional: with it,
/// the change applies only at that profile version (the `ETag` of `GET /me`).
#[utoipa::path(patch, path = "/me", operation_id = "me_update_me", tag = "me", request_body = ProfileChange, security(("session" = [])),
    params(("If-Match" = Option<String>, Header, description = "Only if the profile is still at this version, e.g. \"3\"")),
    responses(
        (status = 200, description = "The updated user", body = UserOut, headers(("ETag" = String, description = "The profile's new version"))),
        (status = 403, description = "Not a session: an API token cannot change the profile (session_required)", body = Problem),
        (status = 412, description = "Changed since read (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub(super) async fn update_me(
    State(state): State<AppState>,
    ctx: RequestContext,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(change): Json<ProfileChange>,
) -> Result<(ETag, Json<UserOut>), ApiError> {
    ctx.require_session()?;
    let update = change.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let updated = user_update_profile(&txn, ctx.acting(), ctx.user_id(), expected, update).await?;
    txn.commit().await?;
    Ok((ETag(updated.version), Json(updated.into())))
}

/// Password change input.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    pub current_password: String,
    /// The new password.
    pub new_password: String,
}

/// Changes the current user's password; ends their other sessions. The current password is
/// checked under the login throttle: after repeated wrong ones the session ends.
#[utoipa::path(post, path = "/me/password", operation_id = "me_change_password", tag = "me", request_body = PasswordChange, security(("session" = [])),
    responses(
        (status = 204, description = "Changed; other sessions ended"),
        (status = 401, description = "Too many wrong passwords: this session has ended (session_ended)", body = Problem),
        (status = 403, description = "Wrong current password (wrong_password), or not a session (session_required)", body = Problem),
        (status = 422, description = "The new password is too weak", body = Problem),
        (status = 429, description = "Too many wrong passwords: wait (Retry-After)", body = Problem),
    ))]
pub(super) async fn change_password(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    Json(input): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let current = current_session(&state, &ctx, &headers).await?;
    let sessions = SessionStore::of(&state);
    let settings = state.settings();
    let hashing = PasswordHashing::new(&settings.auth).map_err(ApiError::internal)?;
    let user = user_get(state.db().write(), ctx.user_id()).await?.ok_or(ApiError::Unauthenticated)?;
    let asking = Asking { user: &user, session: &current, origin: &ctx.origin };
    let proof = Proof { password: &input.current_password, second_factor: None };
    let txn = reauthenticate(state.db(), &sessions, settings, &hashing, asking, proof).await?;
    // Judged once the current password is known right, as before, and against this account's
    // address.
    let password = Password::parse(&input.new_password, &user.email, &settings.auth)
        .map_err(|weak| ApiError::invalid("password", weak.to_string()))?;
    let change = NewPassword { password, keep_session: Some(current.id), sessions: &sessions };
    user_set_password(&txn, ctx.acting(), user.id, change, &hashing, PasswordSetBy::Change, settings).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
