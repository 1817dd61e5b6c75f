//! Spending a customer's credit on an invoice (with an `Idempotency-Key`, required).

use axum::extract::{Path, State};
use baseops_core::{ApiError, AppState, ETag, Json, Problem, RequestContext};
use baseops_idempotency::{IdempotencyKey, request_hash};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::invoices::written;
use super::required_key;
use crate::permission::BILLING_CREATE;
use crate::selector::InvoiceOut;
use crate::service::credit::{ApplyCredit, credit_apply};
use crate::service::payment::Idempotency;

/// Pays an open invoice with the customer's credit in its currency (from overpayments and
/// credit notes): the amount given, or as much as both allow. Money moves only once per
/// `Idempotency-Key`.
#[utoipa::path(post, path = "/billing/invoices/{id}/apply-credit", operation_id = "billing_invoices_apply_credit", tag = "billing",
    request_body = ApplyCredit,
    params(("id" = Uuid, Path, description = "Invoice id"),
        ("Idempotency-Key" = String, Header, description = "Required: 1–200 printable ASCII characters, unique per application")),
    responses(
        (status = 200, description = "The invoice after the credit", body = InvoiceOut, headers(("ETag" = String, description = "Its version"))),
        (status = 400, description = "No or a bad Idempotency-Key (idempotency_key_required, invalid_idempotency_key)", body = Problem),
        (status = 403, description = "Requires billing.create", body = Problem),
        (status = 404, description = "No such invoice in this organization", body = Problem),
        (status = 409, description = "Not open (invalid_transition), or the credit or invoice changed meanwhile (credit_changed, invoice_changed)", body = Problem),
        (status = 422, description = "No credit, an amount above the credit or what it owes, or the key reused with another body (idempotency_key_reused)", body = Problem),
    ))]
pub(super) async fn apply_credit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    key: IdempotencyKey,
    Json(body): Json<ApplyCredit>,
) -> Result<(ETag, Json<InvoiceOut>), ApiError> {
    ctx.require(BILLING_CREATE)?;
    let key = required_key(&key, "Applying credit moves money")?;
    let organization_id = ctx.organization_id()?;
    let idempotency = Idempotency { key, request_hash: request_hash(&body) };
    let txn = state.db().write().begin().await?;
    credit_apply(&txn, ctx.acting(), organization_id, id, idempotency, body).await?;
    txn.commit().await?;
    written(&state, organization_id, id).await
}
