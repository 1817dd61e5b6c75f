//! Credit notes: issue against an invoice (with an `Idempotency-Key`, required), list,
//! detail.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, Json, Page, Paging, Problem, Query, RequestContext};
use baseops_idempotency::{IdempotencyKey, request_hash};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{organization_facts, required_key};
use crate::permission::{BILLING_REFUND, BILLING_VIEW};
use crate::selector::credit_note::{CreditNoteOut, SORT, credit_note_detail, credit_note_list};
use crate::service::credit_note::{NewCreditNote, credit_note_issue};
use crate::service::payment::Idempotency;

/// Filters and page of `GET /billing/credit-notes`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CreditNoteQuery {
    /// Only this invoice's credit notes.
    invoice_id: Option<Uuid>,
    /// Page size 1–200 (default 50).
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Issues a credit note against an open, paid or uncollectible invoice: it reduces what the
/// invoice still asks for first, and puts what was already paid on the customer's credit
/// balance or records it paid back. Never more than was invoiced.
#[utoipa::path(post, path = "/billing/invoices/{id}/credit-notes", operation_id = "billing_credit_notes_issue", tag = "billing",
    request_body = NewCreditNote,
    params(("id" = Uuid, Path, description = "Invoice id"),
        ("Idempotency-Key" = String, Header, description = "Required: 1–200 printable ASCII characters, unique per credit note")),
    responses(
        (status = 201, description = "The credit note (or, for a retry, the first one)", body = CreditNoteOut),
        (status = 400, description = "No or a bad Idempotency-Key (idempotency_key_required, invalid_idempotency_key)", body = Problem),
        (status = 403, description = "Requires billing.refund", body = Problem),
        (status = 404, description = "No such invoice in this organization", body = Problem),
        (status = 409, description = "A draft or void invoice (invalid_transition), or it changed meanwhile (invoice_changed)", body = Problem),
        (status = 422, description = "More than is left to credit, or the key reused with another body", body = Problem),
    ))]
pub(super) async fn issue(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    key: IdempotencyKey,
    Json(new): Json<NewCreditNote>,
) -> Result<(StatusCode, Json<CreditNoteOut>), ApiError> {
    ctx.require(BILLING_REFUND)?;
    let key = required_key(&key, "Issuing a credit note moves money")?;
    let organization_id = ctx.organization_id()?;
    let (_, today) = organization_facts(&state, organization_id).await?;
    let idempotency = Idempotency { key, request_hash: request_hash(&(id, &new)) };
    let txn = state.db().write().begin().await?;
    let note = credit_note_issue(&txn, ctx.acting(), organization_id, id, today, idempotency, new).await?;
    txn.commit().await?;
    let found =
        credit_note_detail(state.db().write(), organization_id, note).await?.ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(found)))
}

/// The organization's credit notes, newest first.
#[utoipa::path(get, path = "/billing/credit-notes", operation_id = "billing_credit_notes_list", tag = "billing", params(CreditNoteQuery),
    responses(
        (status = 200, description = "A page of credit notes", body = Page<CreditNoteOut>),
        (status = 400, description = "Bad cursor (invalid_cursor)", body = Problem),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 422, description = "Bad filter or limit", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<CreditNoteQuery>,
) -> Result<Json<Page<CreditNoteOut>>, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let paging = Paging::new(query.limit, query.cursor.as_deref(), SORT)?;
    Ok(Json(credit_note_list(state.db().read(), ctx.organization_id()?, query.invoice_id, &paging).await?))
}

/// One credit note.
#[utoipa::path(get, path = "/billing/credit-notes/{id}", operation_id = "billing_credit_notes_detail", tag = "billing",
    params(("id" = Uuid, Path, description = "Credit note id")), responses(
        (status = 200, description = "The credit note", body = CreditNoteOut),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 404, description = "No such credit note in this organization", body = Problem),
    ))]
pub(super) async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<Json<CreditNoteOut>, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let found = credit_note_detail(state.db().read(), ctx.organization_id()?, id).await?;
    Ok(Json(found.ok_or(ApiError::NotFound)?))
}
