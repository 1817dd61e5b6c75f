//! The active organization's members: `GET /members`, `PUT /members/{id}/roles`,
//! `DELETE /members/{id}`; and `POST /users/{id}/deactivate` for superusers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, ETag, Json, OptionalIfMatch, Problem, RequestContext};
use baseops_roles::permission::ROLES_MANAGE;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{membership, user};
use crate::permission::{MEMBERS_MANAGE, MEMBERS_VIEW};
use crate::service::organization::{MemberRoles, member_find, member_remove, member_roles_replace};
use crate::service::user::user_deactivate;

/// A member as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    /// Membership id (use it in `/members/{id}`).
    pub id: Uuid,
    /// The user's id.
    pub user_id: Uuid,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Whether the user can log in.
    pub is_active: bool,
    /// The member's roles in this organization.
    pub role_ids: Vec<Uuid>,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// The version of the member's role set: send it as `If-Match: "<version>"` to
    /// `PUT /members/{id}/roles`.
    pub version: i32,
}

/// Most members listed at once.
const MAX_MEMBERS: u64 = 1000;

/// The organization's members, by e-mail address.
#[utoipa::path(get, path = "/members", operation_id = "members_list", tag = "members", responses(
        (status = 200, description = "Members (at most 1000)", body = [MemberOut]),
        (status = 403, description = "Requires members.view", body = Problem),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<MemberOut>>, ApiError> {
    ctx.require(MEMBERS_VIEW)?;
    let db = state.db().read();
    let members = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(ctx.organization_id()?))
        .find_also_related(user::Entity)
        .order_by_asc(user::Column::Email)
        .limit(MAX_MEMBERS)
        .all(db)
        .await?;
    let mut roles =
        baseops_roles::member_role_list(db, members.iter().map(|(member, _)| member.id).collect()).await?;
    Ok(Json(
        members
            .into_iter()
            .filter_map(|(member, user)| {
                let user = user?;
                Some(MemberOut {
                    id: member.id,
                    user_id: user.id,
                    email: user.email,
                    display_name: user.display_name,
                    is_active: user.is_active,
                    role_ids: roles.remove(&member.id).unwrap_or_default(),
                    joined_at: member.created_at,
                    version: member.version,
                })
            })
            .collect(),
    ))
}

/// Replaces a member's roles. `If-Match` is optional: with it, the roles are replaced only
/// if the member's role set is still at that version (`version` in `GET /members`).
#[utoipa::path(put, path = "/members/{id}/roles", operation_id = "members_set_roles", tag = "members", request_body = MemberRoles,
    params(("id" = Uuid, Path, description = "Membership id"), ("If-Match" = Option<String>, Header, description = "Only if the member's roles are still at this version, e.g. \"3\"")),
    responses(
        (status = 204, description = "Roles replaced", headers(("ETag" = String, description = "The version of the member's roles now"))),
        (status = 403, description = "Requires roles.manage; a role holding more than you do, or the owner role given or taken by a non-owner (role_not_allowed)", body = Problem),
        (status = 404, description = "No such member in this organization", body = Problem),
        (status = 409, description = "It would remove the last owner (last_owner)", body = Problem),
        (status = 412, description = "The roles changed since read (version_mismatch)", body = Problem),
        (status = 422, description = "A role of another organization or unknown", body = Problem),
    ))]
pub(super) async fn set_roles(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(input): Json<MemberRoles>,
) -> Result<(ETag, StatusCode), ApiError> {
    ctx.require(ROLES_MANAGE)?;
    let roles = input.check().map_err(ApiError::Validation)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    let granter = baseops_roles::Granter::of(&ctx, state.permissions().permissions());
    let member =
        member_roles_replace(&txn, ctx.acting(), &granter, organization_id, id, expected, &roles).await?;
    txn.commit().await?;
    Ok((ETag(member.version), StatusCode::NO_CONTENT))
}

/// Removes a member; anyone may remove themself (leave) from a session, others need
/// members.manage (a token with that scope may remove others, never its own owner).
#[utoipa::path(delete, path = "/members/{id}", operation_id = "members_remove", tag = "members",
    params(("id" = Uuid, Path, description = "Membership id")), responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Requires members.manage, or leaving from a token (session_required)", body = Problem),
        (status = 404, description = "No such member in this organization", body = Problem),
        (status = 409, description = "The last owner cannot leave (last_owner)", body = Problem),
    ))]
pub(super) async fn remove(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    let member = member_find(&txn, organization_id, id).await?;
    if member.user_id == ctx.user_id() {
        ctx.require_session()?;
    } else {
        ctx.require(MEMBERS_MANAGE)?;
    }
    member_remove(&txn, ctx.acting(), organization_id, id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deactivates a user everywhere: they cannot log in, their sessions end, their tokens are
/// revoked. Superusers only; the record and its history stay.
#[utoipa::path(post, path = "/users/{id}/deactivate", operation_id = "members_deactivate_user", tag = "users",
    params(("id" = Uuid, Path, description = "User id")), security(("session" = [])),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 403, description = "Superusers only", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 409, description = "You cannot deactivate yourself (self_deactivation)", body = Problem),
    ))]
pub(super) async fn deactivate_user(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    if !ctx.principal.is_superuser {
        return Err(ApiError::Forbidden);
    }
    if id == ctx.user_id() {
        return Err(ApiError::Conflict {
            code: "self_deactivation",
            detail: "You cannot deactivate yourself.".into(),
        });
    }
    let txn = state.db().write().begin().await?;
    user_deactivate(&txn, ctx.acting(), id, &crate::session_store::SessionStore::of(&state)).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
