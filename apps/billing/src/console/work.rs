//! "Billing" on the console's home page, for people with `billing.view`: how many invoices
//! are open and how many of those are overdue, each a bounded count linking to the invoice
//! list it counts, and the newest overdue invoices to chase.

use baseops_app::{SearchHit, WorkCard, WorkFigure};
use baseops_core::{ApiError, AppState, MAX_LIMIT, Paging, RequestContext};
use std::future::Future;
use std::pin::Pin;

use crate::api::organization_facts;
use crate::permission::BILLING_VIEW;
use crate::selector::{InvoiceFilter, SORT, invoice_count, invoice_list};
use crate::status::InvoiceStatus;

/// The card's future, as `baseops_app::ConsoleWork` takes it (the app has no `futures-util`).
type CardFuture = Pin<Box<dyn Future<Output = Result<Option<WorkCard>, ApiError>> + Send>>;

/// Invoices listed on the card.
const SHOWN: u64 = 5;

/// The organization's billing card, or `None` without `billing.view`.
pub(super) fn work(state: AppState, ctx: RequestContext) -> CardFuture {
    Box::pin(async move {
        if !ctx.can(BILLING_VIEW) {
            return Ok(None);
        }
        let organization_id = ctx.organization_id()?;
        let (_, today) = organization_facts(&state, organization_id).await?;
        let open = InvoiceFilter { status: Some(InvoiceStatus::Open), customer_id: None, overdue: None };
        let overdue = InvoiceFilter { status: None, customer_id: None, overdue: Some((today, true)) };
        let db = state.db().read();
        let open_count = invoice_count(db, organization_id, &open, MAX_LIMIT).await?;
        let overdue_count = invoice_count(db, organization_id, &overdue, MAX_LIMIT).await?;
        let paging = Paging::new(Some(SHOWN), None, SORT)?;
        let late = invoice_list(db, organization_id, &overdue, &paging).await?.items;
        let ids: Vec<_> = late.iter().map(|invoice| invoice.customer_id).collect();
        let customers = baseops_customers::customer_names(state.db().read(), organization_id, &ids).await?;
        Ok(Some(WorkCard {
            title: "Billing".to_owned(),
            url: "/admin/invoices".to_owned(),
            figures: vec![
                WorkFigure::of("open invoices", open_count, "/admin/invoices?status=open"),
                WorkFigure::of("overdue", overdue_count, "/admin/invoices?overdue=1").warning(),
            ],
            items: late
                .into_iter()
                .map(|invoice| SearchHit {
                    kind: "Invoice",
                    subtitle: format!(
                        "{} · due {}",
                        customers.get(&invoice.customer_id).map_or("", String::as_str),
                        invoice.due_on.map(|day| day.to_string()).unwrap_or_default()
                    ),
                    title: invoice.number.unwrap_or_else(|| "Invoice".to_owned()),
                    url: format!("/admin/invoices/{}", invoice.id),
                })
                .collect(),
            empty: "No invoice is overdue.".to_owned(),
        }))
    })
}
