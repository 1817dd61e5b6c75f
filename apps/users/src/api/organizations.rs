//! `GET/POST /organizations`.

use axum::extract::State;
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, Json, Problem, RequestContext};
use sea_orm::TransactionTrait;

use super::OrganizationOut;
use crate::selector::organizations_of;
use crate::service::organization::{NewOrganization, create_organization};

/// The organizations the current user belongs to.
#[utoipa::path(get, path = "/organizations", tag = "organizations", security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The user's organizations, by name", body = [OrganizationOut]),
        (status = 401, description = "Not authenticated", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<OrganizationOut>>, ApiError> {
    let organizations = organizations_of(state.db().read(), ctx.user_id()).await?;
    Ok(Json(organizations.into_iter().map(Into::into).collect()))
}

/// Creates an organization; its creator becomes its owner and the default roles are seeded.
#[utoipa::path(post, path = "/organizations", tag = "organizations", request_body = NewOrganization,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "Created", body = OrganizationOut),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "API tokens cannot create organizations", body = Problem),
        (status = 409, description = "The slug is taken (code slug_taken)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<NewOrganization>,
) -> Result<(StatusCode, Json<OrganizationOut>), ApiError> {
    // A token is scoped to one organization's permissions; founding another is not among them.
    if matches!(ctx.actor(), baseops_core::Actor::Token { .. }) {
        return Err(ApiError::Forbidden);
    }
    let txn = state.db().write().begin().await?;
    let org = create_organization(&txn, ctx.acting(), ctx.user_id(), input, state.permissions()).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}
