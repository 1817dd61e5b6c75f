//! Subscriptions: the list by status and a subscription's page — customer, plan, quantity,
//! period, the next renewal, the invoices of its periods — with its moves as forms: cancel now
//! or at the period's end (and undo that), pause, resume.

use axum::Form;
use axum::extract::{Path, Query, State};
use baseops_console::form::{DoneQuery, Failure, answer, done};
use baseops_console::list::{first_page, given};
use baseops_console::{Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, Paging};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use uuid::Uuid;

use super::{Answer, MoveForm, names, refused};
use crate::api::organization_facts;
use crate::permission::{BILLING_EDIT, BILLING_VIEW};
use crate::selector::catalog::{PriceOut, price_row, product_detail};
use crate::selector::subscription::{SORT, SubscriptionStatus, subscription_detail, subscription_list};
use crate::service::subscription::{
    SubscriptionChanges, subscription_cancel, subscription_pause, subscription_update,
};

/// Every status, in the order of the list's tabs.
const STATUSES: [SubscriptionStatus; 4] = [
    SubscriptionStatus::Trialing,
    SubscriptionStatus::Active,
    SubscriptionStatus::Paused,
    SubscriptionStatus::Canceled,
];

/// The list's filter and paging, as a browser sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListForm {
    status: String,
    cursor: String,
}

/// `GET /admin/subscriptions`: newest first, maybe in one status.
pub(super) async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ListForm>,
) -> Answer {
    signed.ctx.require(BILLING_VIEW)?;
    let organization_id = signed.ctx.organization_id()?;
    let status = match given(&form.status) {
        Some(text) => Some(
            SubscriptionStatus::parse(&text).ok_or_else(|| ApiError::invalid("status", "no such status"))?,
        ),
        None => None,
    };
    let paging = Paging::new(None, given(&form.cursor).as_deref(), SORT)?;
    let page = subscription_list(state.db().read(), organization_id, None, status, &paging)
        .await
        .map_err(ApiError::from)?;
    let customers = names(&state, organization_id, page.items.iter().map(|sub| sub.customer_id)).await?;
    let statuses: Vec<&str> = STATUSES.iter().map(|status| status.as_str()).collect();
    Ok(signed.page(
        "billing/subscriptions.html",
        vec![Crumb::here("Subscriptions")],
        context! {
            page => value(&page), customers => value(&customers), statuses,
            status => status.map(SubscriptionStatus::as_str),
            first_page => first_page("/admin/subscriptions", &[("status", &form.status)]),
            paged => !form.cursor.is_empty(),
        },
    ))
}

fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "cancel" => "The subscription is canceled: nothing more is invoiced.",
        "cancel-at-period-end" => "The subscription ends with its current period.",
        "keep" => "The subscription goes on after its current period.",
        "pause" => "The subscription is paused: its periods are not invoiced until it is resumed.",
        "resume" => "The subscription is resumed: its next period is invoiced.",
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
    let sub = subscription_detail(db, organization_id, id)
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::NotFound)?;
    let price =
        price_row(db, organization_id, sub.price_id).await.map_err(ApiError::from)?.map(PriceOut::from);
    let product = match &price {
        Some(price) => product_detail(db, organization_id, price.product_id).await.map_err(ApiError::from)?,
        None => None,
    };
    let customers = names(state, organization_id, [sub.customer_id]).await?;
    let live = sub.status != SubscriptionStatus::Canceled;
    let edit = live && signed.can(BILLING_EDIT);
    let moves = context! {
        cancel => edit,
        cancel_at_period_end => edit && !sub.cancel_at_period_end,
        keep => edit && sub.cancel_at_period_end,
        pause => edit && sub.status == SubscriptionStatus::Active,
        resume => edit && sub.status == SubscriptionStatus::Paused,
    };
    let title = match &product {
        Some(product) => format!("{} subscription", product.name),
        None => "Subscription".to_owned(),
    };
    let page = signed.page(
        "billing/subscription.html",
        vec![Crumb::link("Subscriptions", "/admin/subscriptions"), Crumb::here(title)],
        context! {
            sub => value(&sub), customer => customers.get(&sub.customer_id), price => value(&price),
            product => product.map(|product| product.name), moves,
            done => done.and_then(done_message), failure => value(&failure),
        },
    );
    Ok(answer(failure, page))
}

/// `GET /admin/subscriptions/{id}`.
pub(super) async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Query(query): Query<DoneQuery>,
) -> Answer {
    signed.ctx.require(BILLING_VIEW)?;
    page(&state, &signed, id, Some(&query.done), None).await
}

/// `POST /admin/subscriptions/{id}/{cancel|cancel-at-period-end|keep|pause|resume}`: as the
/// API's moves (all `billing.edit`), at the version the page showed; a refused move is shown
/// on the subscription's page.
pub(super) async fn act(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, action)): Path<(Uuid, String)>,
    Form(form): Form<MoveForm>,
) -> Answer {
    let ctx = &signed.ctx;
    let organization_id = ctx.organization_id()?;
    // The move's key (also the done message's), and for the end-of-period moves the value
    // of `cancel_at_period_end` they set.
    let (key, ending) = match action.as_str() {
        "cancel" => ("cancel", None),
        "pause" => ("pause", None),
        "resume" => ("resume", None),
        "cancel-at-period-end" => ("cancel-at-period-end", Some(true)),
        "keep" => ("keep", Some(false)),
        _ => return Err(ApiError::NotFound.into()),
    };
    ctx.require(BILLING_EDIT)?;
    let moved = async {
        let version = Some(form.version()?);
        let acting = ctx.acting();
        if let Some(ending) = ending {
            let (_, today) = organization_facts(&state, organization_id).await?;
            let changes = SubscriptionChanges { cancel_at_period_end: Some(ending), ..Default::default() };
            let txn = state.db().write().begin().await?;
            subscription_update(&txn, acting, (organization_id, today), id, version, changes).await?;
            return Ok::<_, ApiError>(txn.commit().await?);
        }
        let txn = state.db().write().begin().await?;
        if key == "cancel" {
            subscription_cancel(&txn, acting, organization_id, id, version).await?;
        } else {
            subscription_pause(&txn, acting, organization_id, id, version, key == "pause").await?;
        }
        Ok(txn.commit().await?)
    };
    match moved.await {
        Ok(()) => Ok(done(&format!("/admin/subscriptions/{id}"), key)),
        Err(error) => {
            let failure = refused("moves", error, "subscription")?;
            page(&state, &signed, id, None, Some(&failure)).await
        }
    }
}
