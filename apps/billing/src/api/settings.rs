//! The organization's billing settings.

use axum::extract::State;
use baseops_core::{ApiError, AppState, ETag, IfMatch, Json, Problem, RequestContext};
use sea_orm::TransactionTrait;

use crate::permission::{BILLING_SETTINGS, BILLING_VIEW};
use crate::service::settings::{BillingSettingsOut, SettingsChanges, settings_of, settings_update};

/// Rounding, numbering prefix, default terms and footer (the defaults until first saved).
#[utoipa::path(get, path = "/billing/settings", operation_id = "billing_settings_get", tag = "billing",
    responses(
        (status = 200, description = "The settings", body = BillingSettingsOut, headers(("ETag" = String, description = "Their version, 0 until saved"))),
        (status = 403, description = "Requires billing.view", body = Problem),
    ))]
pub(super) async fn get_settings(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<(ETag, Json<BillingSettingsOut>), ApiError> {
    ctx.require(BILLING_VIEW)?;
    let settings = settings_of(state.db().read(), ctx.organization_id()?).await?;
    Ok((ETag(settings.version), Json(settings)))
}

/// Changes the settings. Drafts keep the rounding they were made with.
#[utoipa::path(patch, path = "/billing/settings", operation_id = "billing_settings_update", tag = "billing", request_body = SettingsChanges,
    params(("If-Match" = String, Header, description = "The ETag of the version being changed (\"0\" before the first save)")),
    responses(
        (status = 200, description = "The settings", body = BillingSettingsOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.settings", body = Problem),
        (status = 412, description = "They changed since that version (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
        (status = 428, description = "If-Match is missing (precondition_required)", body = Problem),
    ))]
pub(super) async fn update_settings(
    State(state): State<AppState>,
    ctx: RequestContext,
    IfMatch(version): IfMatch,
    Json(changes): Json<SettingsChanges>,
) -> Result<(ETag, Json<BillingSettingsOut>), ApiError> {
    ctx.require(BILLING_SETTINGS)?;
    let txn = state.db().write().begin().await?;
    let settings =
        settings_update(&txn, ctx.acting(), ctx.organization_id()?, Some(version), changes).await?;
    txn.commit().await?;
    Ok((ETag(settings.version), Json(settings)))
}
