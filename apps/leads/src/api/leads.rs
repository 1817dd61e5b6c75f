//! Leads: list, create, read, update, delete, and the actions on one lead (stage, assign,
//! convert, merge); the board and duplicates.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{
    ApiError, AppState, ETag, IfMatch, Json, Links, OptionalIfMatch, Problem, Query, RequestContext,
};
use baseops_idempotency::IdempotencyKey;
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::api::check_len;
use crate::model::StageKind;
use crate::permission::{
    Access, LEADS_ASSIGN, LEADS_CONVERT, LEADS_CREATE, LEADS_DELETE, LEADS_EDIT, LEADS_REOPEN, LEADS_VIEW,
    access_of,
};
use crate::selector::Page;
use crate::selector::board::{Board, DuplicateGroup, board as board_of, duplicates as duplicates_of};
use crate::selector::lead::{LeadFilter, LeadOut, Sort, lead_get, lead_list};
use crate::service::convert::lead_convert;
use crate::service::lead::{
    Created, Idempotency, Placement, StageMove, lead_assign, lead_create, lead_delete, lead_move_stage,
    lead_update,
};
use crate::service::lead_input::{LeadPatch, NewLead};
use crate::service::merge::{MergeInput, lead_merge};

/// Filters, order and paging of the lead list (and the export).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only leads in this stage.
    pub stage_id: Option<Uuid>,
    /// Only leads in this pipeline.
    pub pipeline_id: Option<Uuid>,
    /// `open`, `won` or `lost`.
    pub status: Option<StageKind>,
    /// Only this owner's leads; `none` for unassigned leads.
    #[param(
        pattern = "^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub owner_id: Option<String>,
    /// Only leads from this source.
    pub source: Option<String>,
    /// Only leads with this tag.
    pub tag: Option<String>,
    /// Only leads worth at least this (minor units).
    pub value_min: Option<i64>,
    /// Only leads worth at most this (minor units).
    pub value_max: Option<i64>,
    /// Created at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Only this UTM campaign.
    pub utm_campaign: Option<String>,
    /// Text in the name, e-mail or company (case-insensitive).
    pub q: Option<String>,
    /// `-created_at` (default), `created_at`, `-updated_at`, `updated_at`, `-value`, `value`,
    /// `-score`, `score`, `last_name`, `-last_name`.
    #[param(pattern = "^-?(created_at|updated_at|value|score|last_name)$")]
    pub sort: Option<String>,
    /// Page size, 1–200 (default 50). List only.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page. List only.
    pub cursor: Option<String>,
}

impl ListQuery {
    /// The selector's filter.
    pub(crate) fn filter(self) -> Result<LeadFilter, ApiError> {
        for (field, value) in [
            ("owner_id", &self.owner_id),
            ("source", &self.source),
            ("tag", &self.tag),
            ("utm_campaign", &self.utm_campaign),
            ("q", &self.q),
            ("sort", &self.sort),
        ] {
            check_len(field, value.as_deref())?;
        }
        let owner_id = match self.owner_id.as_deref() {
            None => None,
            Some("none") => Some(None),
            Some(text) => Some(Some(
                Uuid::parse_str(text)
                    .map_err(|_| ApiError::invalid("owner_id", "must be a user id or none"))?,
            )),
        };
        let sort = match self.sort.as_deref() {
            None => Sort::default(),
            Some(text) => Sort::parse(text)
                .ok_or_else(|| ApiError::invalid("sort", format!("must be one of {}", Sort::ACCEPTED)))?,
        };
        Ok(LeadFilter {
            stage_id: self.stage_id,
            pipeline_id: self.pipeline_id,
            status: self.status,
            owner_id,
            source: self.source,
            tag: self.tag,
            value_min: self.value_min,
            value_max: self.value_max,
            created_after: self.created_after,
            created_before: self.created_before,
            utm_campaign: self.utm_campaign,
            q: self.q,
            sort,
            limit: self.limit,
            cursor: self.cursor,
        })
    }
}

/// A page of leads.
pub type LeadPage = Page<LeadOut>;

/// The leads within reach (own leads with an own-scoped `leads.view`), filtered, sorted,
/// a page at a time.
#[utoipa::path(get, path = "/leads", operation_id = "leads_list", tag = "leads", params(ListQuery),
    responses(
        (status = 200, description = "A page of leads; `next_cursor` fetches the next", body = Page<LeadOut>),
        (status = 400, description = "Bad cursor (invalid_cursor) or query", body = Problem),
        (status = 403, description = "Requires leads.view", body = Problem),
        (status = 422, description = "Bad filter, sort or limit", body = Problem),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<ListQuery>,
) -> Result<Json<LeadPage>, ApiError> {
    let access = access_of(&ctx, LEADS_VIEW)?;
    let filter = query.filter()?;
    Ok(Json(lead_list(state.db().read(), &access, &filter).await?))
}

/// Creates a lead. Send `Idempotency-Key` to retry safely: a retry with the same key and
/// body answers the first lead; another body with the same key is 422
/// `idempotency_key_reused`.
#[utoipa::path(post, path = "/leads", operation_id = "leads_create", tag = "leads", request_body = NewLead,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–200 printable ASCII characters; retries with it create nothing twice")),
    responses(
        (status = 201, description = "Created (or the lead an earlier request with this Idempotency-Key created); ETag carries its version", body = LeadOut),
        (status = 400, description = "Malformed body or Idempotency-Key", body = Problem),
        (status = 403, description = "Requires leads.create (own scope: only leads you own)", body = Problem),
        (status = 409, description = "A concurrent request holds this Idempotency-Key (idempotency_key_busy)", body = Problem),
        (status = 422, description = "Invalid fields, unknown stage or owner, or idempotency_key_reused", body = Problem),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    key: IdempotencyKey,
    Json(input): Json<NewLead>,
) -> Result<(StatusCode, ETag, Json<LeadOut>), ApiError> {
    let access = access_of(&ctx, LEADS_CREATE)?;
    let request_hash = key.0.as_ref().map(|_| baseops_idempotency::request_hash(&input));
    let placement = Placement { owner_id: input.owner_id, stage_id: input.stage_id };
    let fields = input.check(&state.settings().leads.default_phone_region).map_err(ApiError::Validation)?;
    let idempotency =
        key.0.as_deref().zip(request_hash).map(|(key, request_hash)| Idempotency { key, request_hash });
    let directory = baseops_core::directory(&state);
    let txn = state.db().write().begin().await?;
    let lead =
        match lead_create(&txn, &*directory, ctx.acting(), &access, fields, placement, idempotency).await? {
            Created::New(model) => {
                txn.commit().await?;
                LeadOut::from(*model)
            }
            Created::Replayed(id) => {
                txn.commit().await?;
                lead_get(state.db().write(), &access, id).await?
            }
        };
    Ok((StatusCode::CREATED, ETag(lead.version), Json(lead)))
}

/// One lead; `ETag` carries its version for `If-Match`.
#[utoipa::path(get, path = "/leads/{id}", operation_id = "leads_detail", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id")), responses(
        (status = 200, description = "The lead", body = LeadOut),
        (status = 403, description = "Requires leads.view", body = Problem),
        (status = 404, description = "No such lead within reach", body = Problem),
    ))]
pub(crate) async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<(ETag, Json<LeadOut>), ApiError> {
    let access = access_of(&ctx, LEADS_VIEW)?;
    let lead = lead_get(state.db().read(), &access, id).await?;
    Ok((ETag(lead.version), Json(lead)))
}

/// The lead after a write, read on the write pool (a replica may lag). Whoever could
/// change it sees the result, even when the change took it out of their reach (a lead
/// given to someone else).
async fn fresh(state: &AppState, ctx: &RequestContext, id: Uuid) -> Result<(ETag, Json<LeadOut>), ApiError> {
    let access = Access::system(ctx.organization_id()?, Some(ctx.user_id()));
    let lead = lead_get(state.db().write(), &access, id).await?;
    Ok((ETag(lead.version), Json(lead)))
}

/// Changes a lead's fields (`null` clears one). Needs `If-Match` with the version read.
#[utoipa::path(patch, path = "/leads/{id}", operation_id = "leads_update", tag = "leads", request_body = LeadPatch,
    params(("id" = Uuid, Path, description = "Lead id"), ("If-Match" = String, Header, description = "The ETag read, e.g. \"3\"")),
    responses(
        (status = 200, description = "Updated", body = LeadOut),
        (status = 403, description = "Requires leads.edit on this lead", body = Problem),
        (status = 404, description = "No such lead within reach", body = Problem),
        (status = 412, description = "Changed since read (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
        (status = 428, description = "If-Match missing (precondition_required)", body = Problem),
    ))]
pub(crate) async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(patch): Json<LeadPatch>,
) -> Result<(ETag, Json<LeadOut>), ApiError> {
    let access = access_of(&ctx, LEADS_EDIT)?;
    let changes = patch.check(&state.settings().leads.default_phone_region).map_err(ApiError::Validation)?;
    let directory = baseops_core::directory(&state);
    let txn = state.db().write().begin().await?;
    lead_update(&txn, &*directory, ctx.acting(), &access, id, Some(version), changes).await?;
    txn.commit().await?;
    fresh(&state, &ctx, id).await
}

/// Deletes a lead with its timeline. `If-Match` is optional.
#[utoipa::path(delete, path = "/leads/{id}", operation_id = "leads_remove", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id"), ("If-Match" = Option<String>, Header, description = "Only if still at this version")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Requires leads.delete on this lead", body = Problem),
        (status = 404, description = "No such lead within reach", body = Problem),
        (status = 412, description = "Changed since read", body = Problem),
    ))]
pub(crate) async fn remove(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
) -> Result<StatusCode, ApiError> {
    let access = access_of(&ctx, LEADS_DELETE)?;
    let txn = state.db().write().begin().await?;
    lead_delete(&txn, ctx.acting(), &access, id, expected).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a lead to another stage (time in the stage it leaves is recorded). Leaving won or
/// lost needs `leads.reopen`; a `lost` stage needs a `lost_reason`.
#[utoipa::path(post, path = "/leads/{id}/stage", operation_id = "leads_move_stage", tag = "leads", request_body = StageMove,
    params(("id" = Uuid, Path, description = "Lead id"), ("If-Match" = Option<String>, Header, description = "Only if still at this version")),
    responses(
        (status = 200, description = "Moved", body = LeadOut),
        (status = 403, description = "Requires leads.edit; leaving won/lost needs leads.reopen (reopen_not_allowed)", body = Problem),
        (status = 404, description = "No such lead within reach", body = Problem),
        (status = 412, description = "Changed since read", body = Problem),
        (status = 422, description = "Unknown stage, or lost without a reason", body = Problem),
    ))]
pub(crate) async fn move_stage(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(input): Json<StageMove>,
) -> Result<(ETag, Json<LeadOut>), ApiError> {
    let access = access_of(&ctx, LEADS_EDIT)?;
    let reopen = access_of(&ctx, LEADS_REOPEN).ok();
    let target = input.check().map_err(ApiError::Validation)?;
    let txn = state.db().write().begin().await?;
    lead_move_stage(&txn, ctx.acting(), &access, id, expected, target, reopen.as_ref()).await?;
    txn.commit().await?;
    fresh(&state, &ctx, id).await
}

/// A new owner for a lead.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LeadAssignInput)]
pub struct AssignInput {
    /// The new owner (a member); `null` leaves the lead unassigned.
    pub owner_id: Option<Uuid>,
}

/// Gives a lead another owner (the new owner is notified).
#[utoipa::path(post, path = "/leads/{id}/assign", operation_id = "leads_assign", tag = "leads", request_body = AssignInput,
    params(("id" = Uuid, Path, description = "Lead id"), ("If-Match" = Option<String>, Header, description = "Only if still at this version")),
    responses(
        (status = 200, description = "Reassigned", body = LeadOut),
        (status = 403, description = "Requires leads.assign on this lead", body = Problem),
        (status = 404, description = "No such lead within reach", body = Problem),
        (status = 412, description = "Changed since read", body = Problem),
        (status = 422, description = "The owner is not a member", body = Problem),
    ))]
pub(crate) async fn assign(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(input): Json<AssignInput>,
) -> Result<(ETag, Json<LeadOut>), ApiError> {
    let access = access_of(&ctx, LEADS_ASSIGN)?;
    let directory = baseops_core::directory(&state);
    let txn = state.db().write().begin().await?;
    lead_assign(&txn, &*directory, ctx.acting(), &access, id, expected, input.owner_id).await?;
    txn.commit().await?;
    fresh(&state, &ctx, id).await
}

/// The customer a conversion created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Conversion {
    /// The lead, now linked to its customer.
    pub lead: LeadOut,
    /// The customer.
    pub customer_id: Uuid,
}

/// Converts a won lead into a customer; each keeps the other's id.
#[utoipa::path(post, path = "/leads/{id}/convert", operation_id = "leads_convert", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id"), ("If-Match" = Option<String>, Header, description = "Only if still at this version")),
    responses(
        (status = 201, description = "Converted", body = Conversion),
        (status = 403, description = "Requires leads.convert on this lead", body = Problem),
        (status = 404, description = "No such lead within reach", body = Problem),
        (status = 409, description = "Not won (not_won), or already converted (already_converted)", body = Problem),
        (status = 412, description = "Changed since read", body = Problem),
    ))]
pub(crate) async fn convert(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
) -> Result<(StatusCode, Json<Conversion>), ApiError> {
    let access = access_of(&ctx, LEADS_CONVERT)?;
    let txn = state.db().write().begin().await?;
    let customer_id = lead_convert(&txn, ctx.acting(), &access, id, expected).await?;
    txn.commit().await?;
    let (_, Json(lead)) = fresh(&state, &ctx, id).await?;
    Ok((StatusCode::CREATED, Json(Conversion { lead, customer_id })))
}

/// Merges other leads into this one: choose whose value each field keeps; activities, tags
/// and a customer link move here; the others are deleted. Needs `leads.edit` on this lead
/// and `leads.delete` on the others.
#[utoipa::path(post, path = "/leads/{id}/merge", operation_id = "leads_merge", tag = "leads", request_body = MergeInput,
    params(("id" = Uuid, Path, description = "The surviving lead"), ("If-Match" = Option<String>, Header, description = "Only if the survivor is still at this version")),
    responses(
        (status = 200, description = "Merged: the survivor", body = LeadOut),
        (status = 403, description = "Requires leads.edit and leads.delete", body = Problem),
        (status = 404, description = "A lead is not within reach", body = Problem),
        (status = 409, description = "More than one lead is a customer (both_converted)", body = Problem),
        (status = 412, description = "The survivor changed since read", body = Problem),
        (status = 422, description = "Bad ids or fields", body = Problem),
    ))]
pub(crate) async fn merge(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(expected): OptionalIfMatch,
    Json(input): Json<MergeInput>,
) -> Result<(ETag, Json<LeadOut>), ApiError> {
    let edit = access_of(&ctx, LEADS_EDIT)?;
    let delete = access_of(&ctx, LEADS_DELETE)?;
    let plan = input.check(id)?;
    let txn = state.db().write().begin().await?;
    lead_merge(&txn, &Links::of(&state), ctx.acting(), &edit, &delete, expected, plan).await?;
    txn.commit().await?;
    fresh(&state, &ctx, id).await
}

/// Which duplicates to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DuplicatesQuery {
    /// Only duplicates of this lead.
    pub lead_id: Option<Uuid>,
    /// Most groups of each kind (e-mail, phone), 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Likely duplicates: leads within reach sharing an e-mail address or a phone number.
#[utoipa::path(get, path = "/leads/duplicates", operation_id = "leads_duplicates", tag = "leads", params(DuplicatesQuery),
    responses(
        (status = 200, description = "Groups of likely duplicates", body = [DuplicateGroup]),
        (status = 403, description = "Requires leads.view", body = Problem),
        (status = 404, description = "No such lead within reach", body = Problem),
        (status = 422, description = "Bad limit", body = Problem),
    ))]
pub(crate) async fn duplicates(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<DuplicatesQuery>,
) -> Result<Json<Vec<DuplicateGroup>>, ApiError> {
    let access = access_of(&ctx, LEADS_VIEW)?;
    let limit = query.limit.unwrap_or(20);
    if !(1..=crate::selector::board::MAX_GROUPS).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    Ok(Json(duplicates_of(state.db().read(), &access, query.lead_id, limit).await?))
}

/// Which board.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// The pipeline (default: the default pipeline).
    pub pipeline_id: Option<Uuid>,
}

/// The pipeline board: each stage with its lead count and total value per currency (leads
/// within reach).
#[utoipa::path(get, path = "/leads/board", operation_id = "leads_board", tag = "leads", params(BoardQuery),
    responses(
        (status = 200, description = "The board", body = Board),
        (status = 403, description = "Requires leads.view", body = Problem),
        (status = 404, description = "No such pipeline", body = Problem),
    ))]
pub(crate) async fn board(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<BoardQuery>,
) -> Result<Json<Board>, ApiError> {
    let access = access_of(&ctx, LEADS_VIEW)?;
    Ok(Json(board_of(state.db().read(), &access, query.pipeline_id).await?))
}
