//! The active organization's invitations: `GET/POST /invitations`,
//! `DELETE /invitations/{id}`; and `POST /invitations/accept` for the invited person,
//! signed in or not.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use baseops_core::{Acting, Actor, ApiError, AppState, Json, Origin, Principal, Problem, RequestContext};
use chrono::{DateTime, Utc};
use http::header;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::authenticator::cookie;
use crate::model::one_time_token;
use crate::password::PasswordHashing;
use crate::permission::MEMBERS_INVITE;
use crate::service::invitation::{
    Acceptance, NewInvitation, invitation_accept, invitation_create, invitation_list_pending,
    invitation_revoke,
};

/// A pending invitation, as listed: never its token.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationOut {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// The invited address.
    pub email: String,
    /// The default role they get (`sales`, …).
    pub role: String,
    /// Who invited them.
    pub invited_by: Option<Uuid>,
    /// When the invitation was sent.
    pub created_at: DateTime<Utc>,
    /// When its link stops working.
    pub expires_at: DateTime<Utc>,
}

impl From<one_time_token::Model> for InvitationOut {
    fn from(row: one_time_token::Model) -> Self {
        Self {
            id: row.id,
            email: row.email,
            role: row.role_key.unwrap_or_default(),
            invited_by: row.created_by,
            created_at: row.created_at,
            expires_at: row.expires_at,
        }
    }
}

/// Invitation input.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    /// The address to invite (at most 254 characters).
    pub email: String,
    /// A default role: `owner`, `admin` (owner: only owners invite owners; every role: only within your own permissions), `manager`, `sales`,
    /// `accountant`, `marketer`, `support` or `viewer`.
    #[schema(pattern = "^(owner|admin|manager|sales|accountant|marketer|support|viewer)$")]
    pub role: String,
}

/// Invites someone into the organization by e-mail.
#[utoipa::path(post, path = "/invitations", operation_id = "invitations_create", tag = "invitations", request_body = InvitationInput,
    responses(
        (status = 201, description = "Invited; the link is on its way", body = InvitationOut),
        (status = 400, description = "No active organization (organization_required)", body = Problem),
        (status = 403, description = "Requires members.invite; a role holding more than you do, or an owner invitation by a non-owner (role_not_allowed)", body = Problem),
        (status = 409, description = "Already a member (already_member), already invited (already_invited) or too many pending invitations (too_many_invitations)", body = Problem),
        (status = 422, description = "Not an e-mail address, or not a default role", body = Problem),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<InvitationInput>,
) -> Result<(StatusCode, Json<InvitationOut>), ApiError> {
    ctx.require(MEMBERS_INVITE)?;
    let organization_id = ctx.organization_id()?;
    let new =
        NewInvitation { email: &input.email, role: &input.role }.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let created = invitation_create(
        &txn,
        ctx.acting(),
        organization_id,
        new,
        &baseops_roles::Granter::of(&ctx, state.permissions().permissions()),
        state.settings(),
        Utc::now(),
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(created.invitation.into())))
}

/// The organization's pending invitations, newest first.
#[utoipa::path(get, path = "/invitations", operation_id = "invitations_list", tag = "invitations", responses(
        (status = 200, description = "Pending invitations (at most 200)", body = [InvitationOut]),
        (status = 403, description = "Requires members.invite", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<InvitationOut>>, ApiError> {
    ctx.require(MEMBERS_INVITE)?;
    let pending = invitation_list_pending(state.db().read(), ctx.organization_id()?, Utc::now()).await?;
    Ok(Json(pending.into_iter().map(Into::into).collect()))
}

/// Revokes a pending invitation: its link stops working.
#[utoipa::path(delete, path = "/invitations/{id}", operation_id = "invitations_revoke", tag = "invitations",
    params(("id" = Uuid, Path, description = "Invitation id")), responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Requires members.invite", body = Problem),
        (status = 404, description = "No such pending invitation in this organization", body = Problem),
    ))]
pub(super) async fn revoke(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    ctx.require(MEMBERS_INVITE)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    invitation_revoke(&txn, ctx.acting(), organization_id, id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Acceptance input.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// The token from the invitation's link.
    pub token: String,
    /// For a new account: the display name (at most 100 characters).
    pub display_name: Option<String>,
    /// For a new account: the password.
    pub password: Option<String>,
}

/// The membership an accepted invitation made.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedOut {
    /// The organization joined.
    pub organization_id: Uuid,
    /// The member's user id.
    pub user_id: Uuid,
}

/// The caller of an endpoint open to everyone: signed in when the request carries
/// credentials (which must then be valid, CSRF included), anonymous otherwise.
pub(super) struct Caller {
    origin: Origin,
    principal: Option<Principal>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let has_credentials = parts.headers.contains_key(header::AUTHORIZATION)
            || cookie(&parts.headers, &state.settings().session.cookie_name).is_some();
        if has_credentials {
            let ctx = RequestContext::from_request_parts(parts, state).await?;
            return Ok(Self { origin: ctx.origin, principal: Some(ctx.principal) });
        }
        Ok(Self { origin: Origin::from_request_parts(parts, state).await?, principal: None })
    }
}

/// Accepts an invitation. If the invited address has an account, log in as it first;
/// otherwise give a display name and a password, and the account is created.
#[utoipa::path(post, path = "/invitations/accept", operation_id = "invitations_accept", tag = "invitations", request_body = AcceptInput,
    security((), ("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "Joined the organization", body = AcceptedOut),
        (status = 400, description = "Unknown, used, revoked or expired invitation (invalid_link)", body = Problem),
        (status = 401, description = "Credentials were sent but are invalid", body = Problem),
        (status = 403, description = "The invitation is for another account (wrong_account), or a missing CSRF token", body = Problem),
        (status = 409, description = "Already a member (already_member), or the role is gone (role_unavailable)", body = Problem),
        (status = 422, description = "A new account needs a display name and a strong password", body = Problem),
    ))]
pub(super) async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<AcceptInput>,
) -> Result<(StatusCode, Json<AcceptedOut>), ApiError> {
    let settings = state.settings();
    let hashing = PasswordHashing::new(&settings.auth).map_err(ApiError::internal)?;
    let anonymous = Actor::Anonymous;
    let actor = caller.principal.as_ref().map_or(&anonymous, |principal| &principal.actor);
    let acting = Acting { actor, origin: &caller.origin };
    let signed_in = caller.principal.as_ref().map(|principal| principal.user_id);
    let acceptance = Acceptance {
        token: &input.token,
        display_name: input.display_name.as_deref(),
        password: input.password.as_deref(),
    };
    let txn = state.db().write().begin().await?;
    let accepted =
        invitation_accept(&txn, acting, signed_in, acceptance, &hashing, settings, Utc::now()).await?;
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(AcceptedOut { organization_id: accepted.organization_id, user_id: accepted.user_id }),
    ))
}
