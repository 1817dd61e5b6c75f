//! Assignment rules: `leads.assign` reads them, with scope `all` changes them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, ETag, Json, OptionalIfMatch, Problem, RequestContext};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::permission::LEADS_ASSIGN;
use crate::selector::pipeline::{RuleOut, rules_of};
use crate::service::assignment::{RuleInput, rule_create, rule_delete, rule_update};

/// The assignment rules, in evaluation order.
#[utoipa::path(get, path = "/leads/assignment-rules", operation_id = "leads_rules", tag = "leads",
    responses(
        (status = 200, description = "The rules", body = [RuleOut]),
        (status = 403, description = "Requires leads.assign", body = Problem),
    ))]
pub(crate) async fn rules(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<RuleOut>>, ApiError> {
    ctx.require(LEADS_ASSIGN)?;
    Ok(Json(rules_of(state.db().read(), ctx.organization_id()?).await?))
}

/// Creates a rule: new leads without an owner (from `source`, or any) go round-robin to its members.
#[utoipa::path(post, path = "/leads/assignment-rules", operation_id = "leads_create_rule", tag = "leads",
    request_body = RuleInput, responses(
        (status = 201, description = "Created; every rule", body = [RuleOut]),
        (status = 403, description = "Requires leads.assign with scope all", body = Problem),
        (status = 409, description = "Too many rules", body = Problem),
        (status = 422, description = "Invalid fields or members", body = Problem),
    ))]
pub(crate) async fn create_rule(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<RuleInput>,
) -> Result<(StatusCode, Json<Vec<RuleOut>>), ApiError> {
    ctx.require_all(LEADS_ASSIGN)?;
    let organization_id = ctx.organization_id()?;
    let rule = input.check(true).map_err(ApiError::Validation)?;
    let directory = baseops_core::directory(&state);
    let txn = state.db().write().begin().await?;
    rule_create(&txn, &*directory, ctx.acting(), organization_id, rule).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(rules_of(state.db().write(), organization_id).await?)))
}

/// Changes a rule. `If-Match` is optional: with it, the change applies only at that version
/// (`version` in `GET /leads/assignment-rules`).
#[utoipa::path(patch, path = "/leads/assignment-rules/{id}", operation_id = "leads_update_rule", tag = "leads",
    request_body = RuleInput,
    params(("id" = Uuid, Path, description = "Rule id"), ("If-Match" = Option<String>, Header, description = "Only if still at this version, e.g. \"3\"")),
    responses(
        (status = 200, description = "Updated; every rule", body = [RuleOut], headers(("ETag" = String, description = "The rule's new version"))),
        (status = 403, description = "Requires leads.assign with scope all", body = Problem),
        (status = 404, description = "No such rule", body = Problem),
        (status = 412, description = "Changed since read (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields or members", body = Problem),
    ))]
pub(crate) async fn update_rule(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(input): Json<RuleInput>,
) -> Result<(ETag, Json<Vec<RuleOut>>), ApiError> {
    ctx.require_all(LEADS_ASSIGN)?;
    let organization_id = ctx.organization_id()?;
    let rule = input.check(false).map_err(ApiError::Validation)?;
    let directory = baseops_core::directory(&state);
    let txn = state.db().write().begin().await?;
    let version = rule_update(&txn, &*directory, ctx.acting(), organization_id, id, expected, rule).await?;
    txn.commit().await?;
    Ok((ETag(version), Json(rules_of(state.db().write(), organization_id).await?)))
}

/// Deletes a rule.
#[utoipa::path(delete, path = "/leads/assignment-rules/{id}", operation_id = "leads_delete_rule", tag = "leads",
    params(("id" = Uuid, Path, description = "Rule id")), responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Requires leads.assign with scope all", body = Problem),
        (status = 404, description = "No such rule", body = Problem),
    ))]
pub(crate) async fn delete_rule(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    ctx.require_all(LEADS_ASSIGN)?;
    let txn = state.db().write().begin().await?;
    rule_delete(&txn, ctx.acting(), ctx.organization_id()?, id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
