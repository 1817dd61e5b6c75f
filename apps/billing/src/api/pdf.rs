//! Invoices and credit notes as PDF downloads, rendered in the process by `baseops_pdf`.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use baseops_core::{ApiError, AppState, FieldErrors, Problem, Query, RequestContext};
use baseops_pdf::{Document, Locale};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::document::{credit_note_document, invoice_document};
use crate::permission::BILLING_VIEW;

/// The languages a document can be printed in.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = BillingPdfLocale)]
// Only its schema is used: the query keeps the text, so a bad one is a 422 on `locale`.
#[allow(dead_code)]
enum PdfLocale {
    /// English: `€1,234.56`, `6 Dec 2026` (default).
    En,
    /// German: `1.234,56 €`, `06.12.2026`.
    De,
    /// French: `1 234,56 €`, `06/12/2026`.
    Fr,
}

/// A PDF file: binary, not the array of numbers utoipa makes of a `Vec<u8>`.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
// Only its schema is used: the handlers answer the bytes themselves.
#[allow(dead_code)]
struct PdfFile(Vec<u8>);

/// Query of the PDF downloads.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PdfQuery {
    /// The language of the words, dates and numbers: `en`, `de` or `fr` (default: the
    /// customer's locale when it is one of them, else `en`).
    #[param(value_type = Option<PdfLocale>, inline)]
    locale: Option<String>,
}

impl PdfQuery {
    /// The locale asked for (`None`: the customer's, else English), a 422 on `locale` for one
    /// not supported.
    fn locale(&self) -> Result<Option<Locale>, ApiError> {
        let Some(tag) = self.locale.as_deref() else {
            return Ok(None);
        };
        match Locale::ALL.into_iter().find(|locale| locale.code() == tag) {
            Some(locale) => Ok(Some(locale)),
            None => {
                let mut errors = FieldErrors::new();
                errors.add("locale", "must be one of en, de, fr");
                Err(ApiError::Validation(errors))
            }
        }
    }
}

/// Renders on a blocking thread: a long invoice takes milliseconds of CPU, which must not
/// hold up an async worker.
async fn pdf_response(document: Document, filename: String) -> Result<Response, ApiError> {
    let bytes = tokio::task::spawn_blocking(move || baseops_pdf::render(&document))
        .await
        .map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        bytes,
    )
        .into_response())
}

/// The invoice as a PDF file: organization, customer, lines, taxes and totals, in the
/// locale asked for; a draft is marked DRAFT.
#[utoipa::path(get, path = "/billing/invoices/{id}/pdf", operation_id = "billing_invoices_pdf", tag = "billing",
    params(("id" = Uuid, Path, description = "Invoice id"), PdfQuery),
    responses(
        (status = 200, description = "The PDF, as an attachment named after the invoice's number (draft-<id>.pdf for a draft)",
            content_type = "application/pdf", body = inline(PdfFile),
            headers(("Content-Disposition" = String, description = "attachment; filename=\"INV-2026-000001.pdf\""))),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 404, description = "No such invoice in this organization", body = Problem),
        (status = 422, description = "An unsupported locale", body = Problem),
    ))]
pub(super) async fn invoice_pdf(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Query(query): Query<PdfQuery>,
) -> Result<Response, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let locale = query.locale()?;
    let (document, invoice) = invoice_document(&state, ctx.organization_id()?, id, locale).await?;
    let filename = match &invoice.number {
        Some(number) => format!("{number}.pdf"),
        None => format!("draft-{}.pdf", invoice.id),
    };
    pdf_response(document, filename).await
}

/// The credit note as a PDF file, in the locale asked for.
#[utoipa::path(get, path = "/billing/credit-notes/{id}/pdf", operation_id = "billing_credit_notes_pdf", tag = "billing",
    params(("id" = Uuid, Path, description = "Credit note id"), PdfQuery),
    responses(
        (status = 200, description = "The PDF, as an attachment named after the credit note's number",
            content_type = "application/pdf", body = inline(PdfFile),
            headers(("Content-Disposition" = String, description = "attachment; filename=\"CN-2026-000001.pdf\""))),
        (status = 403, description = "Requires billing.view", body = Problem),
        (status = 404, description = "No such credit note in this organization", body = Problem),
        (status = 422, description = "An unsupported locale", body = Problem),
    ))]
pub(super) async fn credit_note_pdf(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Query(query): Query<PdfQuery>,
) -> Result<Response, ApiError> {
    ctx.require(BILLING_VIEW)?;
    let locale = query.locale()?;
    let (document, note) = credit_note_document(&state, ctx.organization_id()?, id, locale).await?;
    pdf_response(document, format!("{}.pdf", note.number)).await
}
