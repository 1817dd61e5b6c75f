//! Invoice lines from the catalog: a line's `price_id` names what was sold, and fills in what
//! the line left out — the product's name, the price's unit amount, the product's tax rates
//! that are not archived. Every priced line, fresh or stored, must be in the invoice's
//! currency; a price whose amount is taken must be active (archived prices are only kept for
//! the subscriptions and lines that already use them).

use std::collections::{HashMap, HashSet};

use baseops_core::{ApiError, Currency, FieldErrors};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::input::CheckedLine;
use crate::model::{price, product, tax_rate};

/// Checks the lines' prices against the organization's catalog and `currency`, and fills in
/// what each line takes from it. One query for the prices, one for their products and one for
/// the products' rates, however many lines.
///
/// # Errors
/// Database errors; the problems found are added to `errors` by line.
pub(crate) async fn apply_prices(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    currency: Currency,
    lines: &mut [CheckedLine],
    errors: &mut FieldErrors,
) -> Result<(), ApiError> {
    let wanted: HashSet<Uuid> = lines.iter().filter_map(|line| line.price_id).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let prices: HashMap<Uuid, price::Model> = price::Entity::find()
        .filter(price::Column::OrganizationId.eq(organization_id))
        .filter(price::Column::Id.is_in(wanted))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    // A line that gives its description and rates (a renewal's) needs no product.
    let needs_product =
        lines.iter().filter_map(|line| line.from_catalog).any(|fill| fill.description || fill.tax_rates);
    let product_ids: HashSet<Uuid> =
        if needs_product { prices.values().map(|row| row.product_id).collect() } else { HashSet::new() };
    let products: HashMap<Uuid, product::Model> = if product_ids.is_empty() {
        HashMap::new()
    } else {
        let rows = product::Entity::find().filter(product::Column::Id.is_in(product_ids)).all(db).await?;
        rows.into_iter().map(|row| (row.id, row)).collect()
    };
    let live_rates = live_rates(db, organization_id, products.values()).await?;
    for (index, line) in lines.iter_mut().enumerate() {
        let Some(price_id) = line.price_id else { continue };
        let field = format!("lines[{index}].price_id");
        let Some(found) = prices.get(&price_id) else {
            errors.add(field, format!("no price {price_id} in this organization"));
            continue;
        };
        if found.currency != currency.code() {
            errors.add(
                field,
                format!("the price is in {}, the invoice in {}", found.currency, currency.code()),
            );
            continue;
        }
        let Some(fill) = line.from_catalog.take() else { continue };
        if fill.unit_amount {
            if !found.active {
                errors.add(field, "the price is archived: give the unit_amount, or use an active price");
                continue;
            }
            line.input.unit_amount = found.unit_amount;
        }
        let Some(item) = products.get(&found.product_id) else { continue };
        if fill.description {
            line.description.clone_from(&item.name);
        }
        if fill.tax_rates {
            let ids: Vec<Uuid> = serde_json::from_str(&item.tax_rate_ids).unwrap_or_default();
            line.tax_rate_ids = ids.into_iter().filter(|id| live_rates.contains(id)).collect();
        }
    }
    Ok(())
}

/// Which of the products' tax rates are not archived.
async fn live_rates(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    products: impl Iterator<Item = &product::Model>,
) -> Result<HashSet<Uuid>, ApiError> {
    let ids: HashSet<Uuid> = products
        .flat_map(|item| serde_json::from_str::<Vec<Uuid>>(&item.tax_rate_ids).unwrap_or_default())
        .collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let live: Vec<Uuid> = tax_rate::Entity::find()
        .select_only()
        .column(tax_rate::Column::Id)
        .filter(tax_rate::Column::OrganizationId.eq(organization_id))
        .filter(tax_rate::Column::Id.is_in(ids))
        .filter(tax_rate::Column::Archived.eq(false))
        .into_tuple()
        .all(db)
        .await?;
    Ok(live.into_iter().collect())
}
