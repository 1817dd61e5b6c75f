//! The invoice list by status and an invoice's page — lines, taxes, totals, credit notes —
//! with its moves (finalize, void, write off, delete a draft) as forms.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use baseops_console::form::{DoneQuery, Failure, answer, done};
use baseops_console::list::given;
use baseops_console::{Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, Paging};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use uuid::Uuid;

use super::{Answer, MoveForm, names, refused};
use crate::api::organization_facts;
use crate::permission::{BILLING_CREATE, BILLING_EDIT, BILLING_ISSUE, BILLING_VIEW, BILLING_VOID};
use crate::selector::credit_note::credit_note_list;
use crate::selector::{InvoiceFilter, SORT, invoice_detail, invoice_list};
use crate::service::draft::invoice_delete;
use crate::service::lifecycle::{Move, invoice_move};
use crate::status::InvoiceStatus;

/// The list's filter and paging, as a browser sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListForm {
    status: String,
    overdue: String,
    cursor: String,
}

/// `GET /admin/invoices`: by status or overdue, newest first.
pub(super) async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ListForm>,
) -> Answer {
    signed.ctx.require(BILLING_VIEW)?;
    let organization_id = signed.ctx.organization_id()?;
    let status = match given(&form.status) {
        Some(text) => {
            Some(InvoiceStatus::parse(&text).ok_or_else(|| ApiError::invalid("status", "no such status"))?)
        }
        None => None,
    };
    let overdue = matches!(form.overdue.as_str(), "1" | "true");
    let paging = Paging::new(None, given(&form.cursor).as_deref(), SORT)?;
    let (_, today) = organization_facts(&state, organization_id).await?;
    let filter = InvoiceFilter { status, customer_id: None, overdue: overdue.then_some((today, true)) };
    let mut page =
        invoice_list(state.db().read(), organization_id, &filter, &paging).await.map_err(ApiError::from)?;
    page.items = page.items.into_iter().map(|invoice| invoice.as_of(today)).collect();
    let customers =
        names(&state, organization_id, page.items.iter().map(|invoice| invoice.customer_id)).await?;
    let first_page = match status {
        Some(status) => format!("/admin/invoices?status={}", status.as_str()),
        None if overdue => "/admin/invoices?overdue=1".to_owned(),
        None => "/admin/invoices".to_owned(),
    };
    let statuses: Vec<&str> = InvoiceStatus::ALL.iter().map(|status| status.as_str()).collect();
    Ok(signed.page(
        "billing/invoices.html",
        vec![Crumb::here("Invoices")],
        context! {
            page => value(&page), customers => value(&customers), first_page, paged => !form.cursor.is_empty(),
            status => status.map(InvoiceStatus::as_str), statuses, overdue,
            can_create => signed.can(BILLING_CREATE),
        },
    ))
}

fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "created" => "The draft is saved. Finalize it to give it its number and send it.",
        "finalize" => "The invoice is finalized: it has its number and is due.",
        "void" => "The invoice is void.",
        "uncollectible" => "The invoice is written off as uncollectible.",
        _ => return None,
    })
}

async fn page(
    state: &AppState,
    signed: &Signed,
    id: Uuid,
    done: Option<&str>,
    failure: Option<&Failure>,
) -> Answer {
    let organization_id = signed.ctx.organization_id()?;
    // The write pool: right after a move, the page shows it.
    let db = state.db().write();
    let invoice =
        invoice_detail(db, organization_id, id).await.map_err(ApiError::from)?.ok_or(ApiError::NotFound)?;
    let (_, today) = organization_facts(state, organization_id).await?;
    let invoice = invoice.as_of(today);
    let customers = names(state, organization_id, [invoice.customer_id]).await?;
    let first = Paging::new(None, None, crate::selector::credit_note::SORT)?;
    let notes = credit_note_list(db, organization_id, Some(id), &first).await.map_err(ApiError::from)?;
    let status = invoice.status;
    let can = |permission: &str| signed.can(permission);
    let moves = context! {
        finalize => status == InvoiceStatus::Draft && can(BILLING_ISSUE),
        delete => status == InvoiceStatus::Draft && can(BILLING_EDIT),
        void => matches!(status, InvoiceStatus::Open | InvoiceStatus::Uncollectible) && can(BILLING_VOID),
        uncollectible => status == InvoiceStatus::Open && can(BILLING_VOID),
    };
    let title = invoice.number.clone().unwrap_or_else(|| "Draft invoice".to_owned());
    let page = signed.page(
        "billing/invoice.html",
        vec![Crumb::link("Invoices", "/admin/invoices"), Crumb::here(title)],
        context! {
            invoice => value(&invoice), customer => customers.get(&invoice.customer_id), moves,
            credit_notes => value(&notes.items), done => done.and_then(done_message), failure => value(&failure),
        },
    );
    Ok(answer(failure, page))
}

/// `GET /admin/invoices/{id}`.
pub(super) async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Query(query): Query<DoneQuery>,
) -> Answer {
    signed.ctx.require(BILLING_VIEW)?;
    page(&state, &signed, id, Some(&query.done), None).await
}

/// `POST /admin/invoices/{id}/{finalize|void|uncollectible|delete}`: as the API's moves, at
/// the version the page showed; a refused move is shown on the invoice's page.
pub(super) async fn act(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, action)): Path<(Uuid, String)>,
    Form(form): Form<MoveForm>,
) -> Answer {
    let ctx = &signed.ctx;
    let organization_id = ctx.organization_id()?;
    let (permission, key) = match action.as_str() {
        "finalize" => (BILLING_ISSUE, "finalize"),
        "void" => (BILLING_VOID, "void"),
        "uncollectible" => (BILLING_VOID, "uncollectible"),
        "delete" => (BILLING_EDIT, "delete"),
        _ => return Err(ApiError::NotFound.into()),
    };
    ctx.require(permission)?;
    let moved = async {
        let version = form.version()?;
        let to = match key {
            "finalize" => {
                Some(Move::Finalize { today: organization_facts(&state, organization_id).await?.1 })
            }
            "void" => Some(Move::Void),
            "uncollectible" => Some(Move::Uncollectible),
            _ => None,
        };
        let txn = state.db().write().begin().await?;
        match to {
            Some(to) => invoice_move(&txn, ctx.acting(), organization_id, id, Some(version), to).await?,
            None => invoice_delete(&txn, ctx.acting(), organization_id, id, Some(version)).await?,
        }
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match moved.await {
        Ok(()) if key == "delete" => Ok(Redirect::to("/admin/invoices").into_response()),
        Ok(()) => Ok(done(&format!("/admin/invoices/{id}"), key)),
        Err(error) => {
            let failure = refused("moves", error, "invoice")?;
            page(&state, &signed, id, None, Some(&failure)).await
        }
    }
}
