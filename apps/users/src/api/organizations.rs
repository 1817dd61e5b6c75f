//! `GET/POST /organizations`, `PATCH/DELETE /organizations/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, ETag, Json, OptionalIfMatch, Problem, RequestContext};
use sea_orm::TransactionTrait;

use super::OrganizationOut;
use crate::selector::organization_list_for_user;
use uuid::Uuid;

use crate::permission::{ORGANIZATIONS_DELETE, ORGANIZATIONS_EDIT};
use crate::service::organization::{
    NewOrganization, OrganizationChange, organization_create, organization_delete, organization_update,
};

/// The organizations the current user belongs to.
#[utoipa::path(get, path = "/organizations", operation_id = "organizations_list", tag = "organizations", responses(
        (status = 200, description = "The user's organizations, by name", body = [OrganizationOut]),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<OrganizationOut>>, ApiError> {
    let organizations = organization_list_for_user(state.db().read(), ctx.user_id()).await?;
    Ok(Json(organizations.into_iter().map(Into::into).collect()))
}

/// Creates an organization; its creator becomes its owner and the default roles are seeded.
#[utoipa::path(post, path = "/organizations", operation_id = "organizations_create", tag = "organizations", request_body = NewOrganization,
    responses(
        (status = 201, description = "Created", body = OrganizationOut),
        (status = 403, description = "API tokens cannot create organizations (session_required)", body = Problem),
        (status = 409, description = "The slug is taken (code slug_taken)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<NewOrganization>,
) -> Result<(StatusCode, Json<OrganizationOut>), ApiError> {
    // A token is scoped to one organization's permissions; founding another is not among them.
    ctx.require_session()?;
    let new = input.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let org = organization_create(&txn, ctx.acting(), ctx.user_id(), new, state.permissions()).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// Edits the active organization (the id must be the active one). `If-Match` is optional:
/// with it, the change applies only at that version.
#[utoipa::path(patch, path = "/organizations/{id}", operation_id = "organizations_update", tag = "organizations", request_body = OrganizationChange,
    params(("id" = Uuid, Path, description = "Organization id"), ("If-Match" = Option<String>, Header, description = "Only if still at this version, e.g. \"3\"")),
    responses(
        (status = 200, description = "Updated", body = OrganizationOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires organizations.edit", body = Problem),
        (status = 404, description = "Not your active organization", body = Problem),
        (status = 409, description = "The slug is taken (slug_taken)", body = Problem),
        (status = 412, description = "Changed since read (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(change): Json<OrganizationChange>,
) -> Result<(ETag, Json<OrganizationOut>), ApiError> {
    if ctx.principal.organization_id != Some(id) {
        return Err(ApiError::NotFound);
    }
    ctx.require(ORGANIZATIONS_EDIT)?;
    let update = change.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    let org = organization_update(&txn, ctx.acting(), id, expected, update).await?;
    txn.commit().await?;
    Ok((ETag(org.version), Json(org.into())))
}

/// Deletes the active organization and everything it owns; its audit trail stays.
#[utoipa::path(delete, path = "/organizations/{id}", operation_id = "organizations_delete", tag = "organizations",
    params(("id" = Uuid, Path, description = "Organization id")), security(("session" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Requires organizations.delete (owners), from a session", body = Problem),
        (status = 404, description = "Not your active organization", body = Problem),
    ))]
pub(super) async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    if ctx.principal.organization_id != Some(id) {
        return Err(ApiError::NotFound);
    }
    ctx.require(ORGANIZATIONS_DELETE)?;
    // Irreversible: a person at a browser, not a token.
    ctx.require_session()?;
    let txn = state.db().write().begin().await?;
    organization_delete(&txn, ctx.acting(), id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
