//! The organization's dunning schedule.

use axum::extract::State;
use baseops_core::{ApiError, AppState, ETag, IfMatch, Json, Problem, RequestContext};
use sea_orm::TransactionTrait;

use crate::permission::{BILLING_SETTINGS, BILLING_VIEW};
use crate::service::dunning::{DunningPolicyIn, DunningPolicyOut, policy_of, policy_put};

/// The reminder schedule and late fee (no steps until one is saved).
#[utoipa::path(get, path = "/billing/dunning", operation_id = "billing_dunning_get", tag = "billing",
    responses(
        (status = 200, description = "The schedule", body = DunningPolicyOut, headers(("ETag" = String, description = "Its version, 0 until saved"))),
        (status = 403, description = "Requires billing.view", body = Problem),
    ))]
pub(super) async fn get_policy(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<(ETag, Json<DunningPolicyOut>), ApiError> {
    ctx.require(BILLING_VIEW)?;
    let policy = policy_of(state.db().read(), ctx.organization_id()?).await?;
    Ok((ETag(policy.version), Json(policy)))
}

/// Replaces the schedule; the next hourly run follows it. `{"steps": []}` stops reminders.
#[utoipa::path(put, path = "/billing/dunning", operation_id = "billing_dunning_put", tag = "billing", request_body = DunningPolicyIn,
    params(("If-Match" = String, Header, description = "The ETag of the version being replaced (\"0\" before the first save)")),
    responses(
        (status = 200, description = "The schedule", body = DunningPolicyOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.settings", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
        (status = 428, description = "If-Match is missing (precondition_required)", body = Problem),
    ))]
pub(super) async fn put_policy(
    State(state): State<AppState>,
    ctx: RequestContext,
    IfMatch(version): IfMatch,
    Json(new): Json<DunningPolicyIn>,
) -> Result<(ETag, Json<DunningPolicyOut>), ApiError> {
    ctx.require(BILLING_SETTINGS)?;
    let txn = state.db().write().begin().await?;
    let policy = policy_put(&txn, ctx.acting(), ctx.organization_id()?, Some(version), new).await?;
    txn.commit().await?;
    Ok((ETag(policy.version), Json(policy)))
}
