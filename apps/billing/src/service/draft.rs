//! Drafts: made, edited (every line at once) and deleted freely until finalized. Each save
//! totals the lines with [`crate::totals::compute`] and stores every figure, so a draft shows
//! exactly what finalizing will fix.

use std::collections::HashSet;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, Currency, FieldErrors, check_version};
use baseops_customers::{CustomerOut, TaxExempt};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use super::line_price::apply_prices;
use super::settings::{level_name, mode_name, rounding_of, settings_of};
use super::tax_rate::rates_by_id;
use crate::decimal::Decimal4;
use crate::input::{
    CheckedLine, DiscountIn, InvoiceChanges, NewInvoice, check_lines, check_note, check_terms,
};
use crate::model::{invoice, invoice_line, invoice_tax, tax_rate};
use crate::selector::{index_by_id, invoice_row, lines_of};
use crate::status::InvoiceStatus;
use crate::totals::{self, Discount, Rounding, TaxSpec, Totals};

/// What an invoice's figures are computed from.
struct Draft {
    customer_id: Uuid,
    currency: Currency,
    lines: Vec<CheckedLine>,
    discount: Option<DiscountIn>,
    memo: Option<String>,
    footer: Option<String>,
    payment_terms_days: i32,
    rounding: Rounding,
}

/// The lines' tax rates, checked: the organization's, and (for lines being saved anew) not
/// archived. Adds the specs to the lines and returns the rates used.
async fn apply_rates(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    lines: &mut [CheckedLine],
    archived_allowed: bool,
    errors: &mut FieldErrors,
) -> Result<Vec<tax_rate::Model>, ApiError> {
    let wanted: Vec<Uuid> = lines
        .iter()
        .flat_map(|line| line.tax_rate_ids.iter().copied())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let rates = index_by_id(rates_by_id(db, organization_id, &wanted).await?, |rate| rate.id);
    for (index, line) in lines.iter_mut().enumerate() {
        let field = format!("lines[{index}].tax_rate_ids");
        line.input.taxes.clear();
        for id in &line.tax_rate_ids {
            match rates.get(id) {
                None => {
                    errors.add(field.clone(), format!("no tax rate {id} in this organization"));
                }
                Some(rate) if rate.archived && !archived_allowed => {
                    errors.add(field.clone(), format!("the tax rate {id} is archived"));
                }
                Some(rate) => line.input.taxes.push(TaxSpec {
                    id: rate.id,
                    percent: Decimal4::from_ten_thousandths(rate.percent),
                    inclusive: rate.inclusive,
                    compound: rate.compound,
                }),
            }
        }
    }
    let mut used: Vec<tax_rate::Model> = rates.into_values().collect();
    used.sort_by_key(|rate| rate.id);
    Ok(used)
}

/// Totals the draft, merging its problems with `errors`.
fn total(draft: &Draft, mut errors: FieldErrors) -> Result<Totals, ApiError> {
    let discount = draft.discount.and_then(|discount| discount.check("discount", &mut errors));
    let inputs: Vec<totals::LineInput> = draft.lines.iter().map(|line| line.input.clone()).collect();
    match totals::compute(&inputs, discount, draft.rounding) {
        Ok(totals) => errors.into_result().map(|()| totals),
        Err(found) => {
            errors.merge(found);
            Err(ApiError::Validation(errors))
        }
    }
}

fn stored_discount(discount: Option<Discount>) -> (Option<i64>, Option<i64>) {
    match discount {
        Some(Discount::Percent(percent)) => (Some(percent.ten_thousandths()), None),
        Some(Discount::Amount(amount)) => (None, Some(amount)),
        None => (None, None),
    }
}

/// Stores `draft`'s lines and tax summary with its `figures` (an update deletes the old first).
async fn store_lines(
    txn: &impl ConnectionTrait,
    invoice_id: Uuid,
    draft: &Draft,
    figures: &Totals,
    rates: &[tax_rate::Model],
) -> Result<(), ApiError> {
    let lines: Vec<invoice_line::ActiveModel> = draft
        .lines
        .iter()
        .zip(&figures.lines)
        .enumerate()
        .map(|(position, (line, figures))| {
            let (discount_percent, discount_amount) = stored_discount(line.input.discount);
            invoice_line::Model {
                id: Uuid::now_v7(),
                invoice_id,
                position: i32::try_from(position).unwrap_or(i32::MAX),
                price_id: line.price_id,
                description: line.description.clone(),
                quantity: line.input.quantity.ten_thousandths(),
                unit_amount: line.input.unit_amount,
                discount_percent,
                discount_amount,
                tax_rate_ids: serde_json::to_string(&line.tax_rate_ids).unwrap_or_else(|_| "[]".to_owned()),
                amount: figures.amount,
                discount: figures.discount,
                net: figures.net,
                tax: figures.tax,
                total: figures.total,
            }
            .into_active_model()
        })
        .collect();
    // Within SQLite's 32,766 bound parameters per statement (16 columns a line).
    for chunk in lines.chunks(1_000) {
        invoice_line::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    let taxes: Vec<invoice_tax::ActiveModel> = figures
        .taxes
        .iter()
        .enumerate()
        .map(|(position, tax)| {
            let name =
                rates.iter().find(|rate| rate.id == tax.id).map(|rate| rate.name.clone()).unwrap_or_default();
            invoice_tax::Model {
                invoice_id,
                tax_rate_id: tax.id,
                position: i32::try_from(position).unwrap_or(i32::MAX),
                name,
                percent: tax.percent.ten_thousandths(),
                inclusive: tax.inclusive,
                compound: tax.compound,
                base: tax.base,
                amount: tax.amount,
            }
            .into_active_model()
        })
        .collect();
    if !taxes.is_empty() {
        invoice_tax::Entity::insert_many(taxes).exec_without_returning(txn).await?;
    }
    Ok(())
}

fn audited(draft: &Draft, figures: &Totals) -> serde_json::Value {
    serde_json::json!({
        "customer_id": draft.customer_id,
        "currency": draft.currency.code(),
        "lines": draft.lines.len(),
        "discount": draft.discount,
        "memo": draft.memo,
        "footer": draft.footer,
        "payment_terms_days": draft.payment_terms_days,
        "total": figures.total,
    })
}

async fn check_customer(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    customer_id: Uuid,
    errors: &mut FieldErrors,
) -> Result<Option<CustomerOut>, ApiError> {
    let found = baseops_customers::customer_by_id(db, organization_id, customer_id).await?;
    if found.is_none() {
        errors.add("customer_id", "no such customer in this organization");
    }
    Ok(found)
}

/// An exempt or reverse-charge customer is charged no tax: their lines carry no rates.
fn exempt(customer: Option<&CustomerOut>, lines: &mut [CheckedLine]) {
    if customer.is_some_and(|customer| customer.tax_exempt != TaxExempt::None) {
        for line in lines {
            line.tax_rate_ids.clear();
            line.input.taxes.clear();
        }
    }
}

/// Makes a draft invoice: `default_currency` (the organization's), terms and footer unless
/// given, and the organization's rounding as it is now.
///
/// # Errors
/// 422 for bad fields (by path), an unknown customer or tax rate.
pub async fn invoice_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    default_currency: Currency,
    new: NewInvoice,
) -> Result<Uuid, ApiError> {
    let mut errors = FieldErrors::new();
    let mut lines = check_lines(new.lines, &mut errors);
    let memo = check_note("memo", new.memo, &mut errors);
    let footer = check_note("footer", new.footer, &mut errors);
    let terms = check_terms(new.payment_terms_days, &mut errors);
    let customer = check_customer(txn, organization_id, new.customer_id, &mut errors).await?;
    let customer_currency =
        customer.as_ref().and_then(|c| c.currency.as_deref()).and_then(|c| Currency::parse(c).ok());
    let currency = new.currency.or(customer_currency).unwrap_or(default_currency);
    apply_prices(txn, organization_id, currency, &mut lines, &mut errors).await?;
    let rates = apply_rates(txn, organization_id, &mut lines, false, &mut errors).await?;
    exempt(customer.as_ref(), &mut lines);
    let customer_terms = customer.as_ref().and_then(|customer| customer.payment_terms_days);
    let settings = settings_of(txn, organization_id).await?;
    let draft = Draft {
        customer_id: new.customer_id,
        currency,
        lines,
        discount: new.discount,
        memo,
        footer: footer.or(settings.footer.clone()),
        payment_terms_days: terms.or(customer_terms).unwrap_or(settings.payment_terms_days),
        rounding: settings.rounding(),
    };
    let figures = total(&draft, errors)?;
    let id = Uuid::now_v7();
    let now = Utc::now();
    let (discount_percent, discount_amount) = stored_discount(
        draft.discount.and_then(|discount| discount.check("discount", &mut FieldErrors::new())),
    );
    let row = invoice::Model {
        id,
        organization_id,
        customer_id: draft.customer_id,
        number: None,
        status: InvoiceStatus::Draft.as_str().to_owned(),
        currency: draft.currency.code().to_owned(),
        discount_percent,
        discount_amount,
        rounding_mode: mode_name(draft.rounding.mode).to_owned(),
        rounding_level: level_name(draft.rounding.level).to_owned(),
        payment_terms_days: draft.payment_terms_days,
        memo: draft.memo.clone(),
        footer: draft.footer.clone(),
        subtotal: figures.subtotal,
        discount_total: figures.discount,
        net_total: figures.net,
        tax_total: figures.tax,
        total: figures.total,
        amount_paid: 0,
        amount_due: figures.total,
        amount_credited: 0,
        issued_on: None,
        due_on: None,
        finalized_at: None,
        closed_at: None,
        created_by: acting.actor.user_id(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    invoice::Entity::insert(row.into_active_model()).exec_without_returning(txn).await?;
    store_lines(txn, id, &draft, &figures, &rates).await?;
    let entry = AuditEntry::new(acting, Some(organization_id), "invoice.create", "invoice", id);
    record(txn, entry.changes(Changes::created(&audited(&draft, &figures)))).await?;
    Ok(id)
}

/// A draft's stored lines as they are saved again.
fn stored_lines(rows: Vec<invoice_line::Model>) -> Vec<CheckedLine> {
    rows.into_iter()
        .map(|row| {
            let discount = match (row.discount_percent, row.discount_amount) {
                (Some(percent), _) => Some(Discount::Percent(Decimal4::from_ten_thousandths(percent))),
                (None, Some(amount)) => Some(Discount::Amount(amount)),
                (None, None) => None,
            };
            CheckedLine {
                price_id: row.price_id,
                description: row.description,
                input: totals::LineInput {
                    quantity: Decimal4::from_ten_thousandths(row.quantity),
                    unit_amount: row.unit_amount,
                    discount,
                    taxes: Vec::new(),
                },
                tax_rate_ids: serde_json::from_str(&row.tax_rate_ids).unwrap_or_default(),
                from_catalog: None,
            }
        })
        .collect()
}

/// The draft, for a change: 404, 409 `invoice_not_draft`, 412 on a stale version.
async fn editable(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
) -> Result<invoice::Model, ApiError> {
    let row = invoice_row(txn, organization_id, id).await?;
    if row.status != InvoiceStatus::Draft.as_str() {
        return Err(ApiError::Conflict {
            code: "invoice_not_draft",
            detail: "Only a draft can change; correct a finalized invoice with a credit note.".to_owned(),
        });
    }
    check_version(row.version, expected)?;
    Ok(row)
}

/// Changes a draft, at `expected` version when given (`If-Match`).
///
/// # Errors
/// 404, 409 `invoice_not_draft`, 412, 422 by field.
pub async fn invoice_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    changes: InvoiceChanges,
) -> Result<(), ApiError> {
    // What the request says on its own is checked first: a malformed body is a 422 whatever
    // the invoice's state.
    let mut errors = FieldErrors::new();
    let sent_lines = changes.lines.map(|lines| check_lines(lines, &mut errors));
    let sent_memo = changes.memo.map(|memo| check_note("memo", memo, &mut errors));
    let sent_footer = changes.footer.map(|footer| check_note("footer", footer, &mut errors));
    let sent_terms = check_terms(changes.payment_terms_days, &mut errors);
    if let Some(Some(discount)) = changes.discount {
        discount.check("discount", &mut errors);
        if discount.amount.is_some_and(|amount| !(0..=baseops_core::Money::MAX_AMOUNT).contains(&amount)) {
            errors.add("discount.amount", "must be 0 to 10^15 minor units");
        }
    }
    errors.into_result()?;
    let mut errors = FieldErrors::new();
    let before = editable(txn, organization_id, id, expected).await?;
    let new_lines = sent_lines.is_some();
    let old_lines = lines_of(txn, id).await?;
    let old_count = old_lines.len();
    let mut lines = match sent_lines {
        Some(lines) => lines,
        None => stored_lines(old_lines),
    };
    let customer_id = changes.customer_id.unwrap_or(before.customer_id);
    let customer = check_customer(txn, organization_id, customer_id, &mut errors).await?;
    let memo = sent_memo.unwrap_or_else(|| before.memo.clone());
    let footer = sent_footer.unwrap_or_else(|| before.footer.clone());
    let terms = sent_terms.unwrap_or(before.payment_terms_days);
    let currency = match changes.currency {
        Some(currency) => currency,
        None => Currency::parse(&before.currency).map_err(ApiError::internal)?,
    };
    apply_prices(txn, organization_id, currency, &mut lines, &mut errors).await?;
    let rates = apply_rates(txn, organization_id, &mut lines, !new_lines, &mut errors).await?;
    exempt(customer.as_ref(), &mut lines);
    let before_discount = DiscountIn::from_stored(before.discount_percent, before.discount_amount);
    let draft = Draft {
        customer_id,
        currency,
        lines,
        discount: changes.discount.unwrap_or(before_discount),
        memo,
        footer,
        payment_terms_days: terms,
        rounding: rounding_of(&before.rounding_mode, &before.rounding_level),
    };
    let figures = total(&draft, errors)?;
    let old = draft_like(&before)?;
    let (discount_percent, discount_amount) = stored_discount(
        draft.discount.and_then(|discount| discount.check("discount", &mut FieldErrors::new())),
    );
    let updated = invoice::Entity::update_many()
        .col_expr(invoice::Column::CustomerId, Expr::value(draft.customer_id))
        .col_expr(invoice::Column::Currency, Expr::value(draft.currency.code()))
        .col_expr(invoice::Column::DiscountPercent, Expr::value(discount_percent))
        .col_expr(invoice::Column::DiscountAmount, Expr::value(discount_amount))
        .col_expr(invoice::Column::PaymentTermsDays, Expr::value(draft.payment_terms_days))
        .col_expr(invoice::Column::Memo, Expr::value(draft.memo.clone()))
        .col_expr(invoice::Column::Footer, Expr::value(draft.footer.clone()))
        .col_expr(invoice::Column::Subtotal, Expr::value(figures.subtotal))
        .col_expr(invoice::Column::DiscountTotal, Expr::value(figures.discount))
        .col_expr(invoice::Column::NetTotal, Expr::value(figures.net))
        .col_expr(invoice::Column::TaxTotal, Expr::value(figures.tax))
        .col_expr(invoice::Column::Total, Expr::value(figures.total))
        .col_expr(invoice::Column::AmountDue, Expr::value(figures.total))
        .col_expr(invoice::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(invoice::Column::Version, Expr::value(before.version + 1))
        .filter(invoice::Column::Id.eq(id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Draft.as_str()))
        .filter(invoice::Column::Version.eq(before.version))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    invoice_line::Entity::delete_many().filter(invoice_line::Column::InvoiceId.eq(id)).exec(txn).await?;
    invoice_tax::Entity::delete_many().filter(invoice_tax::Column::InvoiceId.eq(id)).exec(txn).await?;
    store_lines(txn, id, &draft, &figures, &rates).await?;
    let mut old_view = audited(&old, &Totals { total: before.total, ..Totals::default() });
    old_view["lines"] = serde_json::json!(old_count);
    let diff = Changes::between(&old_view, &audited(&draft, &figures));
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "invoice.update", "invoice", id).changes(diff),
    )
    .await?;
    Ok(())
}

/// The fields of a stored invoice as a [`Draft`] without lines, for the audit's "before".
fn draft_like(row: &invoice::Model) -> Result<Draft, ApiError> {
    Ok(Draft {
        customer_id: row.customer_id,
        currency: Currency::parse(&row.currency).map_err(ApiError::internal)?,
        lines: Vec::new(),
        discount: DiscountIn::from_stored(row.discount_percent, row.discount_amount),
        memo: row.memo.clone(),
        footer: row.footer.clone(),
        payment_terms_days: row.payment_terms_days,
        rounding: rounding_of(&row.rounding_mode, &row.rounding_level),
    })
}

/// Deletes a draft, at `expected` version when given.
///
/// # Errors
/// 404, 409 `invoice_not_draft`, 412.
pub async fn invoice_delete(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
) -> Result<(), ApiError> {
    let before = editable(txn, organization_id, id, expected).await?;
    let deleted = invoice::Entity::delete_many()
        .filter(invoice::Column::Id.eq(id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Draft.as_str()))
        .filter(invoice::Column::Version.eq(before.version))
        .exec(txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let gone = serde_json::json!({"customer_id": before.customer_id, "currency": before.currency, "total": before.total});
    let entry = AuditEntry::new(acting, Some(organization_id), "invoice.delete", "invoice", id);
    record(txn, entry.changes(Changes::between(&gone, &serde_json::json!({})))).await?;
    Ok(())
}

/// An invoice's figures with the organization's rounding, saving nothing: what the invoice
/// editors (the API's preview, the console's) show as lines are typed, by the same code
/// drafts are saved with.
///
/// # Errors
/// 422 for lines or a discount that could not be saved; database errors.
pub async fn invoice_preview(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    lines: Vec<crate::input::LineIn>,
    discount: Option<DiscountIn>,
) -> Result<Totals, ApiError> {
    let mut errors = FieldErrors::new();
    let mut lines = check_lines(lines, &mut errors);
    apply_rates(db, organization_id, &mut lines, false, &mut errors).await?;
    let discount = discount.and_then(|discount| discount.check("discount", &mut errors));
    errors.into_result()?;
    let rounding = settings_of(db, organization_id).await?.rounding();
    let inputs: Vec<totals::LineInput> = lines.into_iter().map(|line| line.input).collect();
    totals::compute(&inputs, discount, rounding).map_err(ApiError::Validation)
}
