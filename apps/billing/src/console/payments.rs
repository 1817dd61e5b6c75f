//! Money in and money given back: the payment list (a customer's, when filtered), a payment's
//! page with the invoices it paid and its refunds, and the credit note list. Read-only: a
//! payment moves money only once per `Idempotency-Key`, which the API's clients hold.

use axum::extract::{Path, Query, State};
use baseops_console::list::{first_page, given};
use baseops_console::{Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, Paging};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Answer, CursorForm, customer_filter, names};
use crate::permission::BILLING_VIEW;
use crate::selector::credit_note::{self, credit_note_list};
use crate::selector::invoice_numbers;
use crate::selector::payment::{SORT, payment_detail, payment_list};

/// The list's filter and paging, as a browser sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListForm {
    customer_id: String,
    cursor: String,
}

/// `GET /admin/payments`: newest first, maybe one customer's.
pub(super) async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ListForm>,
) -> Answer {
    signed.ctx.require(BILLING_VIEW)?;
    let organization_id = signed.ctx.organization_id()?;
    let customer_id = customer_filter(&form.customer_id)?;
    let paging = Paging::new(None, given(&form.cursor).as_deref(), SORT)?;
    let page = payment_list(state.db().read(), organization_id, customer_id, &paging)
        .await
        .map_err(ApiError::from)?;
    let customers = names(&state, organization_id, page.items.iter().map(|paid| paid.customer_id)).await?;
    let customer = customer_id.and_then(|id| customers.get(&id).cloned());
    Ok(signed.page(
        "billing/payments.html",
        vec![Crumb::here("Payments")],
        context! {
            page => value(&page), customers => value(&customers), customer_id => value(&customer_id), customer,
            first_page => first_page("/admin/payments", &[("customer_id", &form.customer_id)]),
            paged => !form.cursor.is_empty(),
        },
    ))
}

/// What a payment paid of one invoice, with the invoice's number for its link.
#[derive(Debug, Serialize)]
struct Paid {
    invoice_id: Uuid,
    number: Option<String>,
    amount: i64,
}

/// `GET /admin/payments/{id}`: what it paid, what is left as credit, its refunds.
pub(super) async fn detail(State(state): State<AppState>, signed: Signed, Path(id): Path<Uuid>) -> Answer {
    signed.ctx.require(BILLING_VIEW)?;
    let organization_id = signed.ctx.organization_id()?;
    let db = state.db().read();
    let payment =
        payment_detail(db, organization_id, id).await.map_err(ApiError::from)?.ok_or(ApiError::NotFound)?;
    let allocations = payment.allocations.as_deref().unwrap_or_default();
    let ids: Vec<Uuid> = allocations.iter().map(|allocation| allocation.invoice_id).collect();
    let numbers = invoice_numbers(db, organization_id, &ids).await.map_err(ApiError::from)?;
    let paid: Vec<Paid> = allocations
        .iter()
        .map(|allocation| Paid {
            invoice_id: allocation.invoice_id,
            number: numbers.get(&allocation.invoice_id).cloned().flatten(),
            amount: allocation.amount,
        })
        .collect();
    let customers = names(&state, organization_id, [payment.customer_id]).await?;
    let title = format!("Payment of {}", payment.received_on);
    Ok(signed.page(
        "billing/payment.html",
        vec![Crumb::link("Payments", "/admin/payments"), Crumb::here(title)],
        context! { payment => value(&payment), customer => customers.get(&payment.customer_id), paid => value(&paid) },
    ))
}

/// `GET /admin/credit-notes`: newest first, each linking to the invoice it credits.
pub(super) async fn credit_notes(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<CursorForm>,
) -> Answer {
    signed.ctx.require(BILLING_VIEW)?;
    let organization_id = signed.ctx.organization_id()?;
    let paging = Paging::new(None, given(&form.cursor).as_deref(), credit_note::SORT)?;
    let db = state.db().read();
    let page = credit_note_list(db, organization_id, None, &paging).await.map_err(ApiError::from)?;
    let customers = names(&state, organization_id, page.items.iter().map(|note| note.customer_id)).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|note| note.invoice_id).collect();
    let invoices = invoice_numbers(db, organization_id, &ids).await.map_err(ApiError::from)?;
    Ok(signed.page(
        "billing/credit_notes.html",
        vec![Crumb::link("Invoices", "/admin/invoices"), Crumb::here("Credit notes")],
        context! {
            page => value(&page), customers => value(&customers), invoices => value(&invoices),
            first_page => "/admin/credit-notes",
            paged => !form.cursor.is_empty(),
        },
    ))
}
