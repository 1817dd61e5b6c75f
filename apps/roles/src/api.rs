//! `GET /permissions` and the organization's roles: `GET/POST /roles`, `PATCH/DELETE /roles/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, ETag, Json, OptionalIfMatch, PermissionDef, Problem, RequestContext};
use sea_orm::TransactionTrait;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::permission::{ROLES_MANAGE, ROLES_VIEW};
use crate::selector::{RoleOut, role_list};
use crate::service::{Granter, RoleInput, role_create, role_delete, role_update};

/// The roles app's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(permissions))
        .routes(routes!(list, create))
        .routes(routes!(update, remove))
}

/// Every permission the apps of this build declare.
#[utoipa::path(get, path = "/permissions", operation_id = "roles_permissions", tag = "roles", responses(
        (status = 200, description = "The permission registry, in app order", body = [PermissionDef]),
    ))]
async fn permissions(State(state): State<AppState>, _ctx: RequestContext) -> Json<Vec<PermissionDef>> {
    Json(state.permissions().permissions().to_vec())
}

/// The active organization's roles with their grants.
#[utoipa::path(get, path = "/roles", operation_id = "roles_list", tag = "roles", responses(
        (status = 200, description = "Roles by name", body = [RoleOut]),
        (status = 403, description = "Requires roles.view", body = Problem),
    ))]
async fn list(State(state): State<AppState>, ctx: RequestContext) -> Result<Json<Vec<RoleOut>>, ApiError> {
    ctx.require(ROLES_VIEW)?;
    Ok(Json(role_list(state.db().read(), ctx.organization_id()?).await?))
}

async fn one(state: &AppState, organization_id: Uuid, id: Uuid) -> Result<RoleOut, ApiError> {
    let roles = role_list(state.db().write(), organization_id).await?;
    roles.into_iter().find(|role| role.id == id).ok_or(ApiError::NotFound)
}

/// Creates a custom role.
#[utoipa::path(post, path = "/roles", operation_id = "roles_create", tag = "roles", request_body = RoleInput, responses(
        (status = 201, description = "Created", body = RoleOut),
        (status = 403, description = "Requires roles.manage; a role holding more than you do (role_not_allowed)", body = Problem),
        (status = 409, description = "Name taken (role_name_taken) or too many roles", body = Problem),
        (status = 422, description = "Invalid fields or unknown permissions", body = Problem),
    ))]
async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<RoleInput>,
) -> Result<(StatusCode, Json<RoleOut>), ApiError> {
    ctx.require(ROLES_MANAGE)?;
    let organization_id = ctx.organization_id()?;
    let fields = input.check_new(state.permissions().permissions()).map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let granter = Granter::of(&ctx, state.permissions().permissions());
    let role = role_create(&txn, ctx.acting(), &granter, organization_id, fields).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(one(&state, organization_id, role.id).await?)))
}

/// Edits a role's name, description or grants (the grants given replace all of them).
/// `If-Match` is optional: with it, the change applies only at that version (`version` in
/// `GET /roles`).
#[utoipa::path(patch, path = "/roles/{id}", operation_id = "roles_update", tag = "roles", request_body = RoleInput,
    params(("id" = Uuid, Path, description = "Role id"), ("If-Match" = Option<String>, Header, description = "Only if still at this version, e.g. \"3\"")),
    responses(
        (status = 200, description = "Updated", body = RoleOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires roles.manage; a role holding more than you do (role_not_allowed)", body = Problem),
        (status = 404, description = "No such role in this organization", body = Problem),
        (status = 409, description = "Name taken, or the owner role's grants (owner_role_fixed)", body = Problem),
        (status = 412, description = "Changed since read (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields or unknown permissions", body = Problem),
    ))]
async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(input): Json<RoleInput>,
) -> Result<(ETag, Json<RoleOut>), ApiError> {
    ctx.require(ROLES_MANAGE)?;
    let organization_id = ctx.organization_id()?;
    let changes = input.check_changes(state.permissions().permissions()).map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let granter = Granter::of(&ctx, state.permissions().permissions());
    role_update(&txn, ctx.acting(), &granter, organization_id, id, expected, changes).await?;
    txn.commit().await?;
    let role = one(&state, organization_id, id).await?;
    Ok((ETag(role.version), Json(role)))
}

/// Deletes a role; its members lose it.
#[utoipa::path(delete, path = "/roles/{id}", operation_id = "roles_remove", tag = "roles",
    params(("id" = Uuid, Path, description = "Role id")), responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Requires roles.manage; a role holding more than you do (role_not_allowed)", body = Problem),
        (status = 404, description = "No such role in this organization", body = Problem),
        (status = 409, description = "The owner role cannot be deleted (owner_role_fixed)", body = Problem),
    ))]
async fn remove(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    ctx.require(ROLES_MANAGE)?;
    let txn = state.db().write().begin().await?;
    let granter = Granter::of(&ctx, state.permissions().permissions());
    role_delete(&txn, ctx.acting(), &granter, ctx.organization_id()?, id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
