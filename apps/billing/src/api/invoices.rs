//! Invoices: list, create (a draft), preview (totals without saving), detail, update and
//! delete a draft, finalize, void, mark uncollectible.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use baseops_core::{
    ApiError, AppState, ETag, IfMatch, Json, OptionalIfMatch, Page, Paging, Problem, Query, RequestContext,
};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::organization_facts;
use crate::input::{InvoiceChanges, LineIn, NewInvoice};
use crate::permission::{BILLING_CREATE, BILLING_EDIT, BILLING_ISSUE, BILLING_VIEW, BILLING_VOID};
use crate::selector::{InvoiceFilter, InvoiceOut, SORT, invoice_detail, invoice_list};
use crate::service::draft::{invoice_create, invoice_delete, invoice_preview, invoice_update};
use crate::service::lifecycle::{Move, invoice_move};
use crate::status::InvoiceStatus;

/// Filters and page of `GET /billing/invoices`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// Only invoices in this status.
    status: Option<InvoiceStatus>,
    /// Only this customer's invoices.
    customer_id: Option<Uuid>,
    /// `true`: only open invoices past their due date with an amount due; `false`: the others.
    overdue: Option<bool>,
    /// Page size 1–200 (default 50).
    limit: Option<u64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The organization's invoices, newest first, without their lines.
#[utoipa::path(get, path = "/billing/invoices", operation_id = "billing_invoices_list", tag = "billing", params(InvoiceQuery),
    responses(
        (status = 200, description = "A page of invoices", body = Page<InvoiceOut>),
        (status = 400, description = "Bad cursor (invalid_cursor)", body = Problem),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 422, description = "Bad filter or limit", body = Problem),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(query): Query<InvoiceQuery>,
) -> Result<Json<Page<InvoiceOut>>, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let paging = Paging::new(query.limit, query.cursor.as_deref(), SORT)?;
    let organization_id = ctx.organization_id()?;
    let (_, today) = organization_facts(&state, organization_id).await?;
    let filter = InvoiceFilter {
        status: query.status,
        customer_id: query.customer_id,
        overdue: query.overdue.map(|wanted| (today, wanted)),
    };
    let mut page = invoice_list(state.db().read(), organization_id, &filter, &paging).await?;
    page.items = page.items.into_iter().map(|invoice| invoice.as_of(today)).collect();
    Ok(Json(page))
}

/// The invoice, read back from the write pool (a replica may not have it yet).
pub(super) async fn written(
    state: &AppState,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(ETag, Json<InvoiceOut>), ApiError> {
    let invoice = invoice_detail(state.db().write(), organization_id, id).await?.ok_or(ApiError::NotFound)?;
    let (_, today) = organization_facts(state, organization_id).await?;
    Ok((ETag(invoice.version), Json(invoice.as_of(today))))
}

/// Makes a draft invoice. Its figures are computed and stored at once.
#[utoipa::path(post, path = "/billing/invoices", operation_id = "billing_invoices_create", tag = "billing", request_body = NewInvoice,
    responses(
        (status = 201, description = "The draft", body = InvoiceOut, headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Requires billing.create", body = Problem),
        (status = 422, description = "Invalid fields, by path (lines[2].quantity)", body = Problem),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(new): Json<NewInvoice>,
) -> Result<(StatusCode, ETag, Json<InvoiceOut>), ApiError> {
    ctx.require(BILLING_CREATE)?;
    let organization_id = ctx.organization_id()?;
    let (currency, _) = organization_facts(&state, organization_id).await?;
    let txn = state.db().write().begin().await?;
    let id = invoice_create(&txn, ctx.acting(), organization_id, currency, new).await?;
    txn.commit().await?;
    let (etag, body) = written(&state, organization_id, id).await?;
    Ok((StatusCode::CREATED, etag, body))
}

/// Lines to total without saving anything.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewIn {
    /// The lines, at most 500 (their tax rates are looked up).
    #[serde(default)]
    #[schema(max_items = 500)]
    lines: Vec<LineIn>,
    /// The invoice's discount.
    #[serde(default)]
    discount: Option<crate::input::DiscountIn>,
}

/// Totals as the invoice editor shows them while typing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewOut {
    /// Per line: amount, discount, net, tax, total.
    lines: Vec<PreviewLine>,
    /// Σ amounts.
    subtotal: i64,
    /// Σ discounts.
    discount_total: i64,
    /// Σ nets.
    net_total: i64,
    /// Σ taxes.
    tax_total: i64,
    /// The total.
    total: i64,
}

/// One line's figures in a preview.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewLine {
    /// Quantity × unit price.
    amount: i64,
    /// Its discounts.
    discount_amount: i64,
    /// Without tax.
    net: i64,
    /// Its taxes.
    tax: i64,
    /// With tax.
    total: i64,
}

/// Computes an invoice's figures with the organization's rounding, saving nothing: what
/// the editor shows as it is typed, the same function drafts are saved with.
#[utoipa::path(post, path = "/billing/invoices/preview", operation_id = "billing_invoices_preview", tag = "billing", request_body = PreviewIn,
    responses(
        (status = 200, description = "The figures", body = PreviewOut),
        (status = 403, description = "Requires billing.create", body = Problem),
        (status = 422, description = "Invalid fields, by path", body = Problem),
    ))]
pub(super) async fn preview(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(input): Json<PreviewIn>,
) -> Result<Json<PreviewOut>, ApiError> {
    ctx.require(BILLING_CREATE)?;
    let organization_id = ctx.organization_id()?;
    let figures = invoice_preview(state.db().read(), organization_id, input.lines, input.discount).await?;
    Ok(Json(PreviewOut {
        lines: figures
            .lines
            .iter()
            .map(|line| PreviewLine {
                amount: line.amount,
                discount_amount: line.discount,
                net: line.net,
                tax: line.tax,
                total: line.total,
            })
            .collect(),
        subtotal: figures.subtotal,
        discount_total: figures.discount,
        net_total: figures.net,
        tax_total: figures.tax,
        total: figures.total,
    }))
}

/// One invoice with its lines and tax summary.
#[utoipa::path(get, path = "/billing/invoices/{id}", operation_id = "billing_invoices_detail", tag = "billing",
    params(("id" = Uuid, Path, description = "Invoice id")), responses(
        (status = 200, description = "The invoice", body = InvoiceOut, headers(("ETag" = String, description = "Its version"))),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 404, description = "No such invoice in this organization", body = Problem),
    ))]
pub(super) async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<(ETag, Json<InvoiceOut>), ApiError> {
    ctx.require(BILLING_VIEW)?;
    let organization_id = ctx.organization_id()?;
    let invoice = invoice_detail(state.db().read(), organization_id, id).await?.ok_or(ApiError::NotFound)?;
    let (_, today) = organization_facts(&state, organization_id).await?;
    Ok((ETag(invoice.version), Json(invoice.as_of(today))))
}

/// Changes a draft; `lines`, when sent, replace every line.
#[utoipa::path(patch, path = "/billing/invoices/{id}", operation_id = "billing_invoices_update", tag = "billing", request_body = InvoiceChanges,
    params(("id" = Uuid, Path, description = "Invoice id"),
        ("If-Match" = String, Header, description = "The ETag of the version being changed, e.g. \"3\"")),
    responses(
        (status = 200, description = "The changed draft", body = InvoiceOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.edit", body = Problem),
        (status = 404, description = "No such invoice in this organization", body = Problem),
        (status = 409, description = "It is no longer a draft (invoice_not_draft)", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
        (status = 422, description = "Invalid fields, by path", body = Problem),
        (status = 428, description = "If-Match is missing (precondition_required)", body = Problem),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(changes): Json<InvoiceChanges>,
) -> Result<(ETag, Json<InvoiceOut>), ApiError> {
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    invoice_update(&txn, ctx.acting(), organization_id, id, Some(version), changes).await?;
    txn.commit().await?;
    written(&state, organization_id, id).await
}

/// Deletes a draft (a finalized invoice is voided instead, keeping its number).
#[utoipa::path(delete, path = "/billing/invoices/{id}", operation_id = "billing_invoices_delete", tag = "billing",
    params(("id" = Uuid, Path, description = "Invoice id"),
        ("If-Match" = Option<String>, Header, description = "Delete only at this version")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Requires billing.edit", body = Problem),
        (status = 404, description = "No such invoice in this organization", body = Problem),
        (status = 409, description = "It is no longer a draft (invoice_not_draft)", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
    ))]
pub(super) async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<StatusCode, ApiError> {
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    invoice_delete(&txn, ctx.acting(), organization_id, id, version).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves the invoice through its life in one transaction and answers with it.
async fn moved(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    version: Option<i32>,
    to: Move,
) -> Result<(ETag, Json<InvoiceOut>), ApiError> {
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    invoice_move(&txn, ctx.acting(), organization_id, id, version, to).await?;
    txn.commit().await?;
    written(state, organization_id, id).await
}

/// Finalizes a draft: the next number of the organization's series for this year, issued
/// today in the organization's time zone, due after its payment terms.
#[utoipa::path(post, path = "/billing/invoices/{id}/finalize", operation_id = "billing_invoices_finalize", tag = "billing",
    params(("id" = Uuid, Path, description = "Invoice id"),
        ("If-Match" = Option<String>, Header, description = "Finalize only at this version (what was reviewed)")),
    responses(
        (status = 200, description = "The finalized invoice", body = InvoiceOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.issue", body = Problem),
        (status = 404, description = "No such invoice in this organization", body = Problem),
        (status = 409, description = "It is not a draft (invalid_transition)", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
        (status = 422, description = "It has no lines", body = Problem),
    ))]
pub(super) async fn finalize(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<(ETag, Json<InvoiceOut>), ApiError> {
    ctx.require(BILLING_ISSUE)?;
    let (_, today) = organization_facts(&state, ctx.organization_id()?).await?;
    moved(&state, &ctx, id, version, Move::Finalize { today }).await
}

/// Voids an open or uncollectible invoice; its number stays used.
#[utoipa::path(post, path = "/billing/invoices/{id}/void", operation_id = "billing_invoices_void", tag = "billing",
    params(("id" = Uuid, Path, description = "Invoice id"),
        ("If-Match" = Option<String>, Header, description = "Void only at this version")),
    responses(
        (status = 200, description = "The voided invoice", body = InvoiceOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.void", body = Problem),
        (status = 404, description = "No such invoice in this organization", body = Problem),
        (status = 409, description = "A draft, paid or void invoice cannot be voided (invalid_transition)", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
    ))]
pub(super) async fn void(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<(ETag, Json<InvoiceOut>), ApiError> {
    ctx.require(BILLING_VOID)?;
    moved(&state, &ctx, id, version, Move::Void).await
}

/// Marks an open invoice uncollectible: written off, still payable or voidable.
#[utoipa::path(post, path = "/billing/invoices/{id}/mark-uncollectible", operation_id = "billing_invoices_mark_uncollectible", tag = "billing",
    params(("id" = Uuid, Path, description = "Invoice id"),
        ("If-Match" = Option<String>, Header, description = "Only at this version")),
    responses(
        (status = 200, description = "The invoice", body = InvoiceOut, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Requires billing.void", body = Problem),
        (status = 404, description = "No such invoice in this organization", body = Problem),
        (status = 409, description = "Only an open invoice can be written off (invalid_transition)", body = Problem),
        (status = 412, description = "It changed since that version (version_mismatch)", body = Problem),
    ))]
pub(super) async fn mark_uncollectible(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<(ETag, Json<InvoiceOut>), ApiError> {
    ctx.require(BILLING_VOID)?;
    moved(&state, &ctx, id, version, Move::Uncollectible).await
}
