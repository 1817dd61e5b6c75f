//! Subscriptions: list, start, detail, change, cancel, pause and resume. Renewals run in the
//! worker (`billing.renew_subscriptions`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{
    ApiError, AppState, ETag, IfMatch, Json, OptionalIfMatch, Page, Paging, Problem, Query, RequestContext,
};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{organization_facts, organization_zone};
use crate::permission::{BILLING_CREATE, BILLING_EDIT, BILLING_VIEW};
use crate::selector::subscription::{
    SORT, SubscriptionOut, SubscriptionStatus, subscription_detail, subscription_list,
};
use crate::service::subscription::{
    NewSubscription, SubscriptionChanges, subscription_cancel, subscription_create, subscription_pause,
    subscription_update,
};

/// Filters and page of `GET /billing/subscriptions`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// Only this customer's subscriptions.
    customer_id: Option<Uuid>,
    /// Only those in this status.
    status: Option<SubscriptionStatus>,
    /// Page size 1–200 (default 50).
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

async fn written(
    state: &AppState,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(ETag, Json<SubscriptionOut>), ApiError> {
    let found =
        subscription_detail(state.db().write(), organization_id, id).await?.ok_or(ApiError::NotFound)?;
    Ok((ETag(found.version), Json(found)))
}

/// The organization's subscriptions, newest first.
#[utoipa::path(get, path = "/billing/subscriptions", operation_id = "billing_subscriptions_list", tag = "billing", params(SubscriptionQuery),
    responses(
        (status = 200, description = "A page of subscriptions", body = Page<SubscriptionOut>),
        (status = 400, description = "Bad cursor (invalid_cursor)", body = Problem),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 422, description = "Bad filter or limit", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<SubscriptionQuery>,
) -> Result<Json<Page<SubscriptionOut>>, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let paging = Paging::new(query.limit, query.cursor.as_deref(), SORT)?;
    let page = subscription_list(
        state.db().read(),
        ctx.organization_id()?,
        query.customer_id,
        query.status,
        &paging,
    )
    .await?;
    Ok(Json(page))
}

/// Subscribes a customer to a recurring price: with a trial, the first period starts when it
/// ends; without, the first period starts now and its invoice is made and finalized at once.
#[utoipa::path(post, path = "/billing/subscriptions", operation_id = "billing_subscriptions_create", tag = "billing", request_body = NewSubscription,
    responses(
        (status = 201, description = "The subscription", body = SubscriptionOut, headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Requires billing.create", body = Problem),
        (status = 422, description = "Invalid fields (customer, price, quantity, trial)", body = Problem),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(new): Json<NewSubscription>,
) -> Result<(StatusCode, ETag, Json<SubscriptionOut>), ApiError> {
    ctx.require(BILLING_CREATE)?;
    let organization_id = ctx.organization_id()?;
    let (_, zone) = organization_zone(&state, organization_id).await?;
    let txn = state.db().write().begin().await?;
    let id = subscription_create(&txn, ctx.acting(), organization_id, zone, chrono::Utc::now(), new).await?;
    txn.commit().await?;
    let (etag, subscription) = written(&state, organization_id, id).await?;
    Ok((StatusCode::CREATED, etag, subscription))
}

/// A subscription with its latest periods and their invoices.
#[utoipa::path(get, path = "/billing/subscriptions/{id}", operation_id = "billing_subscriptions_detail", tag = "billing",
    params(("id" = Uuid, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionOut, headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 404, description = "No such subscription in this organization", body = Problem),
    ))]
pub(super) async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<(ETag, Json<SubscriptionOut>), ApiError> {
    ctx.require(BILLING_VIEW)?;
    let found = subscription_detail(state.db().read(), ctx.organization_id()?, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((ETag(found.version), Json(found)))
}

/// Changes the quantity or the price from the next period on (no proration), or sets it to
/// end with the current period.
#[utoipa::path(patch, path = "/billing/subscriptions/{id}", operation_id = "billing_subscriptions_update", tag = "billing", request_body = SubscriptionChanges,
    params(("id" = Uuid, Path, description = "Subscription id"),
        ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.edit", body = Problem),
        (status = 404, description = "No such subscription in this organization", body = Problem),
        (status = 409, description = "It is canceled (invalid_transition)", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
        (status = 428, description = "If-Match is missing (precondition_required)", body = Problem),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(changes): Json<SubscriptionChanges>,
) -> Result<(ETag, Json<SubscriptionOut>), ApiError> {
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let (_, today) = organization_facts(&state, organization_id).await?;
    let txn = state.db().write().begin().await?;
    subscription_update(&txn, ctx.acting(), (organization_id, today), id, Some(version), changes).await?;
    txn.commit().await?;
    written(&state, organization_id, id).await
}

/// What `cancel`, `pause` and `resume` do.
enum Step {
    Cancel,
    Pause,
    Resume,
}

async fn step(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    version: Option<i32>,
    step: Step,
) -> Result<(ETag, Json<SubscriptionOut>), ApiError> {
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    match step {
        Step::Cancel => subscription_cancel(&txn, ctx.acting(), organization_id, id, version).await?,
        Step::Pause | Step::Resume => {
            let pause = matches!(step, Step::Pause);
            subscription_pause(&txn, ctx.acting(), organization_id, id, version, pause).await?;
        }
    }
    txn.commit().await?;
    written(state, organization_id, id).await
}

/// Cancels at once: nothing more is invoiced (to end with the period, `PATCH`
/// `cancel_at_period_end`).
#[utoipa::path(post, path = "/billing/subscriptions/{id}/cancel", operation_id = "billing_subscriptions_cancel", tag = "billing",
    params(("id" = Uuid, Path, description = "Subscription id"),
        ("If-Match" = Option<String>, Header, description = "Cancel only at this version")),
    responses(
        (status = 200, description = "The canceled subscription", body = SubscriptionOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.edit", body = Problem),
        (status = 404, description = "No such subscription in this organization", body = Problem),
        (status = 409, description = "Already canceled (invalid_transition)", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
    ))]
pub(super) async fn cancel(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<(ETag, Json<SubscriptionOut>), ApiError> {
    step(&state, &ctx, id, version, Step::Cancel).await
}

/// Pauses an active subscription: its periods go on, but are not invoiced.
#[utoipa::path(post, path = "/billing/subscriptions/{id}/pause", operation_id = "billing_subscriptions_pause", tag = "billing",
    params(("id" = Uuid, Path, description = "Subscription id"),
        ("If-Match" = Option<String>, Header, description = "Pause only at this version")),
    responses(
        (status = 200, description = "The paused subscription", body = SubscriptionOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.edit", body = Problem),
        (status = 404, description = "No such subscription in this organization", body = Problem),
        (status = 409, description = "Not active (invalid_transition)", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
    ))]
pub(super) async fn pause(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<(ETag, Json<SubscriptionOut>), ApiError> {
    step(&state, &ctx, id, version, Step::Pause).await
}

/// Resumes a paused subscription: the next period is invoiced again.
#[utoipa::path(post, path = "/billing/subscriptions/{id}/resume", operation_id = "billing_subscriptions_resume", tag = "billing",
    params(("id" = Uuid, Path, description = "Subscription id"),
        ("If-Match" = Option<String>, Header, description = "Resume only at this version")),
    responses(
        (status = 200, description = "The resumed subscription", body = SubscriptionOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.edit", body = Problem),
        (status = 404, description = "No such subscription in this organization", body = Problem),
        (status = 409, description = "Not paused (invalid_transition)", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
    ))]
pub(super) async fn resume(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<(ETag, Json<SubscriptionOut>), ApiError> {
    step(&state, &ctx, id, version, Step::Resume).await
}
