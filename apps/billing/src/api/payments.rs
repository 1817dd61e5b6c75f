//! Payments: record (with an `Idempotency-Key`, required), list, detail; a customer's
//! balance.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, Json, Page, Paging, Problem, Query, RequestContext};
use baseops_idempotency::{IdempotencyKey, request_hash};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{organization_facts, required_key};
use crate::permission::{BILLING_CREATE, BILLING_REFUND, BILLING_VIEW};
use crate::selector::payment::{
    BalanceOut, PaymentOut, RefundOut, SORT, customer_balances, payment_detail, payment_list, refund_detail,
};
use crate::service::payment::{Idempotency, NewPayment, Recording, payment_record};
use crate::service::refund::{NewRefund, payment_refund};

/// Filters and page of `GET /billing/payments`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PaymentQuery {
    /// Only this customer's payments.
    customer_id: Option<Uuid>,
    /// Page size 1–200 (default 50).
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The organization's payments, newest first.
#[utoipa::path(get, path = "/billing/payments", operation_id = "billing_payments_list", tag = "billing", params(PaymentQuery),
    responses(
        (status = 200, description = "A page of payments", body = Page<PaymentOut>),
        (status = 400, description = "Bad cursor (invalid_cursor)", body = Problem),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 422, description = "Bad filter or limit", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<PaymentQuery>,
) -> Result<Json<Page<PaymentOut>>, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let paging = Paging::new(query.limit, query.cursor.as_deref(), SORT)?;
    Ok(Json(payment_list(state.db().read(), ctx.organization_id()?, query.customer_id, &paging).await?))
}

/// Records a payment received: it pays the invoices given (or the customer's oldest open
/// ones), and what is left is the customer's credit. Money moves only once per
/// `Idempotency-Key`: a retry gets the first payment back.
#[utoipa::path(post, path = "/billing/payments", operation_id = "billing_payments_record", tag = "billing", request_body = NewPayment,
    params(("Idempotency-Key" = String, Header, description = "Required: 1–200 printable ASCII characters, unique per payment")),
    responses(
        (status = 201, description = "The payment (or, for a retry, the first one)", body = PaymentOut),
        (status = 400, description = "No or a bad Idempotency-Key (idempotency_key_required, invalid_idempotency_key)", body = Problem),
        (status = 403, description = "Requires billing.create", body = Problem),
        (status = 409, description = "An invoice changed meanwhile (invoice_changed)", body = Problem),
        (status = 422, description = "Invalid fields by path, or the key reused with another body (idempotency_key_reused)", body = Problem),
    ))]
pub(super) async fn record(
    State(state): State<AppState>,
    ctx: RequestContext,
    key: IdempotencyKey,
    Json(new): Json<NewPayment>,
) -> Result<(StatusCode, Json<PaymentOut>), ApiError> {
    ctx.require(BILLING_CREATE)?;
    let key = required_key(&key, "Recording a payment moves money")?;
    let organization_id = ctx.organization_id()?;
    let (default_currency, today) = organization_facts(&state, organization_id).await?;
    let idempotency = Idempotency { key, request_hash: request_hash(&new) };
    let at = Recording { acting: ctx.acting(), organization_id, default_currency, today };
    let txn = state.db().write().begin().await?;
    let id = payment_record(&txn, at, idempotency, new).await?;
    txn.commit().await?;
    let payment = payment_detail(state.db().write(), organization_id, id).await?.ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(payment)))
}

/// Pays money of a payment back: first what it left as the customer's credit, then what it
/// paid of invoices, newest first (they owe it again). Money moves only once per
/// `Idempotency-Key`: a retry gets the first refund back.
#[utoipa::path(post, path = "/billing/payments/{id}/refunds", operation_id = "billing_payments_refund", tag = "billing", request_body = NewRefund,
    params(("id" = Uuid, Path, description = "Payment id"),
        ("Idempotency-Key" = String, Header, description = "Required: 1–200 printable ASCII characters, unique per refund")),
    responses(
        (status = 201, description = "The refund (or, for a retry, the first one)", body = RefundOut),
        (status = 400, description = "No or a bad Idempotency-Key (idempotency_key_required, invalid_idempotency_key)", body = Problem),
        (status = 403, description = "Requires billing.refund", body = Problem),
        (status = 404, description = "No such payment in this organization", body = Problem),
        (status = 409, description = "The payment, credit or an invoice changed meanwhile (payment_changed)", body = Problem),
        (status = 422, description = "An amount above what is left or can be taken back, or the key reused with another body (idempotency_key_reused)", body = Problem),
    ))]
pub(super) async fn refund(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    key: IdempotencyKey,
    Json(new): Json<NewRefund>,
) -> Result<(StatusCode, Json<RefundOut>), ApiError> {
    ctx.require(BILLING_REFUND)?;
    let key = required_key(&key, "A refund moves money")?;
    let organization_id = ctx.organization_id()?;
    let idempotency = Idempotency { key, request_hash: request_hash(&new) };
    let txn = state.db().write().begin().await?;
    let refund_id = payment_refund(&txn, ctx.acting(), organization_id, id, idempotency, new).await?;
    txn.commit().await?;
    let refund =
        refund_detail(state.db().write(), organization_id, refund_id).await?.ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(refund)))
}

/// One payment with what it paid.
#[utoipa::path(get, path = "/billing/payments/{id}", operation_id = "billing_payments_detail", tag = "billing",
    params(("id" = Uuid, Path, description = "Payment id")), responses(
        (status = 200, description = "The payment", body = PaymentOut),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 404, description = "No such payment in this organization", body = Problem),
    ))]
pub(super) async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<Json<PaymentOut>, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let found = payment_detail(state.db().read(), ctx.organization_id()?, id).await?;
    Ok(Json(found.ok_or(ApiError::NotFound)?))
}

/// What a customer owes per currency (negative: their credit), summed from the ledger.
#[utoipa::path(get, path = "/billing/customers/{id}/balance", operation_id = "billing_customer_balance", tag = "billing",
    params(("id" = Uuid, Path, description = "Customer id")), responses(
        (status = 200, description = "One balance per currency the customer was billed or paid in", body = Vec<BalanceOut>),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 404, description = "No such customer in this organization", body = Problem),
    ))]
pub(super) async fn balance(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<BalanceOut>>, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let organization_id = ctx.organization_id()?;
    let db = state.db().read();
    baseops_customers::customer_by_id(db, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(customer_balances(db, organization_id, id).await?))
}
