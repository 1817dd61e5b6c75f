//! The invoice editor: `/admin/invoices/new` makes a draft with up to [`ROWS`] lines, its
//! totals recomputed by the server as the lines are typed — htmx posts the form to
//! `/admin/invoices/new/totals` and swaps in the figures; without JavaScript the *Update
//! totals* button does the same with a whole page. Totals and the saved draft come from the
//! same code (`invoice_preview`, `invoice_create`), so what the editor shows is what is saved.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use baseops_console::form::{Failure, answer};
use baseops_console::list::given;
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, Currency, FieldErrors, Money, Paging};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::organization_facts;
use crate::decimal::Decimal4;
use crate::input::{LineIn, NewInvoice};
use crate::permission::BILLING_CREATE;
use crate::service::draft::{invoice_create, invoice_preview};
use crate::service::tax_rate::tax_rate_list;
use crate::totals::Totals;

/// Line rows the editor offers; a longer invoice is made through the API.
pub(super) const ROWS: usize = 8;
/// Customers offered in the editor's choice, newest first; a customer's page links to the
/// editor with that customer chosen, whatever their number.
const CUSTOMERS_OFFERED: u64 = 200;
/// Longest value of any one field; the service checks each field's own limit.
const MAX_FIELD_CHARS: usize = 5_000;

/// `?customer_id=`: the customer chosen when the editor opens.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Opening {
    customer_id: String,
}

/// A line as typed.
#[derive(Debug, Default, Clone, Serialize)]
struct TypedLine {
    description: String,
    quantity: String,
    unit_amount: String,
    tax_rate_id: String,
}

/// The editor's form as typed: every value is shown again when it is refused.
#[derive(Debug, Default, Serialize)]
struct Typed {
    customer_id: String,
    currency: String,
    memo: String,
    lines: Vec<TypedLine>,
}

impl Typed {
    /// The fields a browser posts: `customer_id`, `currency`, `memo`, and per row `i`
    /// `description_i`, `quantity_i`, `unit_amount_i`, `tax_rate_id_i`.
    fn from_fields(mut fields: HashMap<String, String>) -> Self {
        let mut take = |name: &str| {
            let mut text = fields.remove(name).unwrap_or_default();
            if text.len() > MAX_FIELD_CHARS {
                let end = (0..=MAX_FIELD_CHARS).rev().find(|at| text.is_char_boundary(*at)).unwrap_or(0);
                text.truncate(end);
            }
            text
        };
        let lines = (0..ROWS)
            .map(|row| TypedLine {
                description: take(&format!("description_{row}")),
                quantity: take(&format!("quantity_{row}")),
                unit_amount: take(&format!("unit_amount_{row}")),
                tax_rate_id: take(&format!("tax_rate_id_{row}")),
            })
            .collect();
        Self { customer_id: take("customer_id"), currency: take("currency"), memo: take("memo"), lines }
    }

    /// The rows with anything typed in them, with their row numbers.
    fn filled(&self) -> impl Iterator<Item = (usize, &TypedLine)> {
        self.lines.iter().enumerate().filter(|(_, line)| {
            [&line.description, &line.quantity, &line.unit_amount].iter().any(|text| !text.trim().is_empty())
        })
    }

    /// The draft as the service takes it, and for each of its lines the row it came from;
    /// or what was typed wrong, by the editor's field names.
    fn invoice(&self, default_currency: Currency) -> Result<(NewInvoice, Vec<usize>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let customer_id = given(&self.customer_id).and_then(|text| text.parse::<Uuid>().ok());
        if customer_id.is_none() {
            errors.add("customer_id", "choose a customer");
        }
        let currency = match given(&self.currency) {
            None => default_currency,
            Some(code) => Currency::parse(&code).unwrap_or_else(|_| {
                errors.add("currency", "is not an ISO 4217 currency code");
                default_currency
            }),
        };
        let mut lines = Vec::new();
        let mut rows = Vec::new();
        for (row, line) in self.filled() {
            let quantity = Decimal4::parse(line.quantity.trim()).unwrap_or_else(|_| {
                errors.add(format!("quantity_{row}"), "must be a number such as 1 or 2.5");
                Decimal4::whole(0)
            });
            let unit_amount = Money::parse_decimal(line.unit_amount.trim(), currency).map_or_else(
                |_| {
                    errors.add(format!("unit_amount_{row}"), "must be an amount such as 12.50");
                    0
                },
                |money| money.amount_minor(),
            );
            let tax_rate_ids = match given(&line.tax_rate_id) {
                None => Vec::new(),
                Some(text) => text.parse::<Uuid>().map(|id| vec![id]).unwrap_or_else(|_| {
                    errors.add(format!("tax_rate_id_{row}"), "is not a tax rate");
                    Vec::new()
                }),
            };
            let description = given(&line.description);
            lines.push(LineIn {
                price_id: None,
                description,
                quantity,
                unit_amount: Some(unit_amount),
                discount: None,
                tax_rate_ids,
            });
            rows.push(row);
        }
        if lines.is_empty() {
            errors.add("lines", "fill in at least one line");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let new = NewInvoice {
            customer_id: customer_id.unwrap_or_default(),
            currency: Some(currency),
            lines,
            discount: None,
            memo: given(&self.memo),
            footer: None,
            payment_terms_days: None,
        };
        Ok((new, rows))
    }
}

/// The figures the editor shows.
#[derive(Debug, Serialize)]
struct Shown {
    subtotal: i64,
    discount: i64,
    tax: i64,
    total: i64,
}

impl From<&Totals> for Shown {
    fn from(totals: &Totals) -> Self {
        Self { subtotal: totals.subtotal, discount: totals.discount, tax: totals.tax, total: totals.total }
    }
}

/// The service's refusal with its `lines[i].field` paths as the editor's `field_row` names.
fn refusal(error: ApiError, rows: &[usize]) -> Result<Failure, ConsoleError> {
    let ApiError::Validation(errors) = error else {
        return Failure::of("invoice", error);
    };
    let mut named = FieldErrors::new();
    for (path, messages) in errors.iter() {
        let name = match path.strip_prefix("lines[").and_then(|rest| rest.split_once("].")) {
            Some((index, field)) => match index.parse::<usize>().ok().and_then(|index| rows.get(index)) {
                Some(row) => format!("{field}_{row}"),
                None => "lines".to_owned(),
            },
            None => path.split('[').next().unwrap_or(path).to_owned(),
        };
        for message in messages {
            named.add(name.clone(), message.clone());
        }
    }
    Failure::of("invoice", ApiError::Validation(named))
}

/// `GET /admin/invoices/new`: the empty editor.
pub(super) async fn new(
    State(state): State<AppState>,
    signed: Signed,
    Query(opening): Query<Opening>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(BILLING_CREATE)?;
    let organization_id = signed.ctx.organization_id()?;
    let typed = Typed {
        customer_id: opening.customer_id,
        lines: vec![TypedLine::default(); ROWS],
        ..Typed::default()
    };
    let currency = currency_of(&state, organization_id, &typed).await?;
    render(&state, &signed, &typed, currency, None, None).await
}

/// What the editor's form is about: the organization, what was typed, and the currency its
/// amounts are in.
async fn opened(
    state: &AppState,
    signed: &Signed,
    fields: HashMap<String, String>,
) -> Result<(Uuid, Typed, Currency), ConsoleError> {
    signed.ctx.require(BILLING_CREATE)?;
    let organization_id = signed.ctx.organization_id()?;
    let typed = Typed::from_fields(fields);
    let currency = currency_of(state, organization_id, &typed).await?;
    Ok((organization_id, typed, currency))
}

/// The currency the draft will be in when none is typed, as `invoice_create` chooses it: the
/// chosen customer's, else the organization's.
async fn currency_of(state: &AppState, organization_id: Uuid, typed: &Typed) -> Result<Currency, ApiError> {
    let customer = match given(&typed.customer_id).and_then(|text| text.parse::<Uuid>().ok()) {
        Some(id) => baseops_customers::customer_by_id(state.db().read(), organization_id, id).await?,
        None => None,
    };
    let preferred =
        customer.and_then(|customer| customer.currency).and_then(|code| Currency::parse(&code).ok());
    match preferred {
        Some(currency) => Ok(currency),
        None => Ok(organization_facts(state, organization_id).await?.0),
    }
}

/// `POST /admin/invoices/new/totals`: the figures of what is typed — the totals fragment for
/// htmx, the whole editor otherwise.
pub(super) async fn totals(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let (organization_id, typed, currency) = opened(&state, &signed, fields).await?;
    let (figures, failure) = match typed.invoice(currency) {
        Err(errors) => (None, Some(Failure::of("invoice", ApiError::Validation(errors))?)),
        Ok((new, rows)) => match invoice_preview(state.db().read(), organization_id, new.lines, None).await {
            Ok(figures) => (Some(figures), None),
            Err(error) => (None, Some(refusal(error, &rows)?)),
        },
    };
    if headers.contains_key("hx-request") {
        let currency = given(&typed.currency).unwrap_or_else(|| currency.code().to_owned());
        let shown = figures.as_ref().map(Shown::from);
        let context = context! { totals => value(&shown), currency, failure => value(&failure) };
        return Ok(signed.console().bare("billing/invoice_totals.html", context, StatusCode::OK));
    }
    // The button without JavaScript: the page again, with the figures or what is wrong.
    render(&state, &signed, &typed, currency, figures.as_ref(), failure).await
}

/// `POST /admin/invoices/new`: saves the draft and opens it, or shows the editor again with
/// what the service refused, nothing saved.
pub(super) async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let (organization_id, typed, currency) = opened(&state, &signed, fields).await?;
    let (new, rows) = match typed.invoice(currency) {
        Ok(made) => made,
        Err(errors) => {
            let failure = Failure::of("invoice", ApiError::Validation(errors))?;
            return render(&state, &signed, &typed, currency, None, Some(failure)).await;
        }
    };
    let acting = signed.ctx.acting();
    let made = async {
        let txn = state.db().write().begin().await?;
        let id = invoice_create(&txn, acting, organization_id, currency, new).await?;
        txn.commit().await?;
        Ok::<_, ApiError>(id)
    };
    match made.await {
        Ok(id) => Ok(Redirect::to(&format!("/admin/invoices/{id}?done=created")).into_response()),
        Err(error) => {
            let failure = refusal(error, &rows)?;
            render(&state, &signed, &typed, currency, None, Some(failure)).await
        }
    }
}

/// The editor with what was typed, the figures when known and the refusal when there is one
/// (its callers have checked `billing.create`).
async fn render(
    state: &AppState,
    signed: &Signed,
    typed: &Typed,
    currency: Currency,
    figures: Option<&Totals>,
    failure: Option<Failure>,
) -> Result<Response, ConsoleError> {
    let organization_id = signed.ctx.organization_id()?;
    let db = state.db().read();
    let paging = Paging::new(Some(CUSTOMERS_OFFERED), None, baseops_customers::selector::SORT)?;
    let customers = baseops_customers::selector::customer_list(db, organization_id, &paging)
        .await
        .map_err(ApiError::from)?
        .items;
    let rates = tax_rate_list(db, organization_id).await.map_err(ApiError::from)?;
    let rates: Vec<_> = rates.into_iter().filter(|rate| !rate.archived).collect();
    let (default_currency, _) = organization_facts(state, organization_id).await?;
    let shown_currency = given(&typed.currency).unwrap_or_else(|| currency.code().to_owned());
    let page = signed.page(
        "billing/invoice_new.html",
        vec![Crumb::link("Invoices", "/admin/invoices"), Crumb::here("New invoice")],
        context! {
            typed => value(typed), customers => value(&customers), rates => value(&rates),
            default_currency => default_currency.code(), currency => shown_currency,
            totals => value(&figures.map(Shown::from)), failure => value(&failure),
        },
    );
    Ok(answer(failure.as_ref(), page))
}
