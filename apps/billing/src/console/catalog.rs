//! The catalog: products with their prices, a form to make a product, one per product to add
//! a price, and archiving either — through the catalog service, with its checks. Prices never
//! change once made, so a price has no edit form: archive it and add another.

use axum::Form;
use axum::extract::{Path, Query, State};
use baseops_console::form::{Failure, answer, done};
use baseops_console::list::{first_page, given};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, Currency, Money, Paging};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Answer, MoveForm, refused};
use crate::api::organization_facts;
use crate::interval::Interval;
use crate::permission::{BILLING_EDIT, BILLING_VIEW};
use crate::selector::catalog::{SORT, product_list, with_prices};
use crate::service::catalog::{
    NewPrice, NewProduct, ProductChanges, RecurringIn, price_create, price_set_active, product_create,
    product_update,
};

/// Products a page shows: each comes with its prices (up to 100), so pages are short.
const PAGE_SIZE: u64 = 20;

/// The list's filter and paging, as a browser sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListForm {
    active: String,
    cursor: String,
    done: String,
}

/// The new product form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct ProductForm {
    name: String,
    description: String,
}

/// A new price form, as typed: the amount in the currency's units (`12.50`).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct PriceForm {
    currency: String,
    unit_amount: String,
    interval: String,
    interval_count: String,
}

/// What a refused form shows again: the failure, which product's price form, what was typed.
#[derive(Default)]
struct Refusal {
    failure: Option<Failure>,
    product_id: Option<Uuid>,
    typed: Option<serde_json::Value>,
}

fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "product" => "The product is made. Add its prices below.",
        "price" => "The price is added.",
        "archived" => "The product is archived: no new subscriptions or lines.",
        "price-archived" => "The price is archived: no new subscriptions; existing ones go on.",
        _ => return None,
    })
}

/// `GET /admin/catalog`: products, newest first, each with its prices.
pub(super) async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ListForm>,
) -> Answer {
    render(&state, &signed, &form, Refusal::default()).await
}

async fn render(state: &AppState, signed: &Signed, form: &ListForm, refusal: Refusal) -> Answer {
    signed.ctx.require(BILLING_VIEW)?;
    let organization_id = signed.ctx.organization_id()?;
    let active = match form.active.as_str() {
        "" => None,
        "1" => Some(true),
        "0" => Some(false),
        _ => return Err(ApiError::invalid("active", "must be 1 (offered) or 0 (archived)").into()),
    };
    let paging = Paging::new(Some(PAGE_SIZE), given(&form.cursor).as_deref(), SORT)?;
    // The write pool: right after a change, the page shows it.
    let db = state.db().write();
    let page = product_list(db, organization_id, active, &paging).await.map_err(ApiError::from)?;
    let products = with_prices(db, page.items).await.map_err(ApiError::from)?;
    let (currency, _) = organization_facts(state, organization_id).await?;
    let intervals: Vec<&str> = [Interval::Day, Interval::Week, Interval::Month, Interval::Year]
        .iter()
        .map(|unit| unit.as_str())
        .collect();
    let page = signed.page(
        "billing/catalog.html",
        vec![Crumb::here("Catalog")],
        context! {
            products => value(&products), next_cursor => page.next_cursor, active => form.active.as_str(),
            first_page => first_page("/admin/catalog", &[("active", &form.active)]), paged => !form.cursor.is_empty(),
            currency => currency.code(), intervals, can_edit => signed.can(BILLING_EDIT),
            done => done_message(&form.done), failure => value(&refusal.failure),
            failed_product => value(&refusal.product_id), typed => value(&refusal.typed),
        },
    );
    Ok(answer(refusal.failure.as_ref(), page))
}

/// The catalog again with `error` shown at `form`, or the error page for what is not about it.
async fn again(
    state: &AppState,
    signed: &Signed,
    form: &'static str,
    error: ApiError,
    refusal: Refusal,
) -> Answer {
    let mut failure = refused(form, error, "product")?;
    // The service names a recurring price's count by its place in the API's body.
    if let Some(messages) = failure.fields.remove("recurring.interval_count") {
        failure.fields.entry("interval_count".to_owned()).or_default().extend(messages);
    }
    // Problems with no field of their own on the form (the product archived, too many
    // prices) are said above it.
    if let Some(messages) = failure.fields.remove("product_id") {
        failure.message = messages.join("; ");
        failure.message.insert_str(0, "The product: ");
    }
    render(state, signed, &ListForm::default(), Refusal { failure: Some(failure), ..refusal }).await
}

/// `POST /admin/catalog`: makes a product.
pub(super) async fn create_product(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<ProductForm>,
) -> Answer {
    let ctx = &signed.ctx;
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let new = NewProduct {
        name: form.name.clone(),
        description: given(&form.description),
        tax_rate_ids: Vec::new(),
    };
    let made = async {
        let txn = state.db().write().begin().await?;
        product_create(&txn, ctx.acting(), organization_id, new).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match made.await {
        Ok(()) => Ok(done("/admin/catalog", "product")),
        Err(error) => {
            let typed = Some(serde_json::to_value(&form).map_err(ApiError::internal)?);
            again(&state, &signed, "product", error, Refusal { typed, ..Refusal::default() }).await
        }
    }
}

/// The price as the service takes it, or the field the form got wrong.
fn new_price(form: &PriceForm, default_currency: Currency) -> Result<NewPrice, ApiError> {
    let currency = match given(&form.currency) {
        Some(code) => Some(
            Currency::parse(&code)
                .map_err(|_| ApiError::invalid("currency", "is not an ISO 4217 currency code"))?,
        ),
        None => None,
    };
    let unit_amount = Money::parse_decimal(&form.unit_amount, currency.unwrap_or(default_currency))
        .map_err(|_| ApiError::invalid("unit_amount", "must be an amount such as 12.50"))?
        .amount_minor();
    let recurring = match given(&form.interval) {
        None => None,
        Some(unit) => {
            let interval =
                Interval::parse(&unit).ok_or_else(|| ApiError::invalid("interval", "is not an interval"))?;
            let interval_count = match given(&form.interval_count) {
                Some(count) => Some(
                    count
                        .parse()
                        .map_err(|_| ApiError::invalid("interval_count", "must be a whole number"))?,
                ),
                None => None,
            };
            Some(RecurringIn { interval, interval_count })
        }
    };
    Ok(NewPrice { currency, unit_amount, recurring })
}

/// `POST /admin/catalog/{id}/prices`: adds a price to a product.
pub(super) async fn add_price(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(form): Form<PriceForm>,
) -> Answer {
    let ctx = &signed.ctx;
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let made = async {
        let (currency, _) = organization_facts(&state, organization_id).await?;
        let new = new_price(&form, currency)?;
        let txn = state.db().write().begin().await?;
        price_create(&txn, ctx.acting(), organization_id, id, currency, new).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match made.await {
        Ok(()) => Ok(done("/admin/catalog", "price")),
        Err(error) => {
            let typed = Some(serde_json::to_value(&form).map_err(ApiError::internal)?);
            again(
                &state,
                &signed,
                "price",
                error,
                Refusal { product_id: Some(id), typed, ..Refusal::default() },
            )
            .await
        }
    }
}

/// `POST /admin/catalog/{id}/archive`: archives a product at the version the page showed.
pub(super) async fn archive_product(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(form): Form<MoveForm>,
) -> Answer {
    let ctx = &signed.ctx;
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let archived = async {
        let version = Some(form.version()?);
        let changes = ProductChanges { active: Some(false), ..ProductChanges::default() };
        let txn = state.db().write().begin().await?;
        product_update(&txn, ctx.acting(), organization_id, id, version, changes).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match archived.await {
        Ok(()) => Ok(done("/admin/catalog", "archived")),
        Err(error) => again(&state, &signed, "archive", error, Refusal::default()).await,
    }
}

/// `POST /admin/catalog/prices/{id}/archive`: archives a price (it has no version: a price
/// never changes but for this, and archiving twice is no change).
pub(super) async fn archive_price(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Answer {
    let ctx = &signed.ctx;
    ctx.require(BILLING_EDIT)?;
    let organization_id = ctx.organization_id()?;
    let archived = async {
        let txn = state.db().write().begin().await?;
        price_set_active(&txn, ctx.acting(), organization_id, id, false).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match archived.await {
        Ok(()) => Ok(done("/admin/catalog", "price-archived")),
        Err(error) => Err(ConsoleError::from(error)),
    }
}
