//! The catalog: products and their prices. A price never changes once made (invoices and
//! subscriptions point at it); a new price replaces it and the old one is archived.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, Currency, FieldErrors, Money, check_version};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::tax_rate::rates_by_id;
use crate::input::check_note;
use crate::interval::Interval;
use crate::model::{price, product};
use crate::selector::catalog::{MAX_PRICES, PriceOut, ProductOut};
use crate::totals::MAX_TAXES_PER_LINE;

/// A product to make.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// Its name on invoices, 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Up to 5,000 characters.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Tax rates of the organization its lines get, at most 5.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub tax_rate_ids: Vec<Uuid>,
}

/// Changes to a product; what is sent replaces what was there.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductChanges {
    /// A new name.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// A new description; `null` clears it.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub description: Option<Option<String>>,
    /// New tax rates.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub tax_rate_ids: Option<Vec<Uuid>>,
    /// `false` archives it: no new subscriptions or lines.
    #[serde(default)]
    pub active: Option<bool>,
}

/// How a recurring price repeats.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurringIn {
    /// The unit.
    pub interval: Interval,
    /// How many units a period spans (default 1; at most three years in all).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1095)]
    pub interval_count: Option<i32>,
}

/// A price to add to a product.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrice {
    /// ISO 4217; the organization's when left out.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "EUR")]
    pub currency: Option<Currency>,
    /// Minor units per unit, 0 or more.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub unit_amount: i64,
    /// Left out: a one-off price.
    #[serde(default)]
    pub recurring: Option<RecurringIn>,
}

fn check_name(name: &str, errors: &mut FieldErrors) -> String {
    let name = name.trim();
    let count = name.chars().count();
    if count == 0 || count > 200 || name.chars().any(char::is_control) {
        errors.add("name", "must be 1 to 200 printable characters");
    }
    name.to_owned()
}

async fn check_rates(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    ids: &[Uuid],
    errors: &mut FieldErrors,
) -> Result<(), ApiError> {
    if ids.len() > MAX_TAXES_PER_LINE {
        errors.add("tax_rate_ids", format!("at most {MAX_TAXES_PER_LINE} tax rates"));
        return Ok(());
    }
    let found = rates_by_id(db, organization_id, ids).await?;
    for (index, id) in ids.iter().enumerate() {
        if ids[..index].contains(id) {
            errors.add("tax_rate_ids", format!("{id} appears twice"));
        } else if !found.iter().any(|rate| rate.id == *id && !rate.archived) {
            errors.add("tax_rate_ids", format!("no active tax rate {id} in this organization"));
        }
    }
    Ok(())
}

fn json_ids(ids: &[Uuid]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned())
}

/// Makes a product.
///
/// # Errors
/// 422 by field.
pub async fn product_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    new: NewProduct,
) -> Result<Uuid, ApiError> {
    let mut errors = FieldErrors::new();
    let name = check_name(&new.name, &mut errors);
    let description = check_note("description", new.description, &mut errors);
    check_rates(txn, organization_id, &new.tax_rate_ids, &mut errors).await?;
    errors.into_result()?;
    let now = Utc::now();
    let row = product::Model {
        id: Uuid::now_v7(),
        organization_id,
        name,
        description,
        tax_rate_ids: json_ids(&new.tax_rate_ids),
        active: true,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    product::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    let out = ProductOut::from(row);
    let entry = AuditEntry::new(acting, Some(organization_id), "product.create", "product", out.id);
    record(txn, entry.changes(Changes::created(&out))).await?;
    Ok(out.id)
}

/// Renames, re-taxes or archives a product, at `expected` version when given.
///
/// # Errors
/// 404, 412, 422.
pub async fn product_update(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    expected: Option<i32>,
    changes: ProductChanges,
) -> Result<(), ApiError> {
    let before = product::Entity::find_by_id(id)
        .filter(product::Column::OrganizationId.eq(organization_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_version(before.version, expected)?;
    let mut errors = FieldErrors::new();
    let mut after = before.clone();
    if let Some(name) = &changes.name {
        after.name = check_name(name, &mut errors);
    }
    if let Some(description) = changes.description {
        after.description = check_note("description", description, &mut errors);
    }
    if let Some(ids) = &changes.tax_rate_ids {
        check_rates(txn, organization_id, ids, &mut errors).await?;
        after.tax_rate_ids = json_ids(ids);
    }
    after.active = changes.active.unwrap_or(after.active);
    errors.into_result()?;
    let diff = Changes::between(
        &serde_json::to_value(ProductOut::from(before.clone())).map_err(ApiError::internal)?,
        &serde_json::to_value(ProductOut::from(after.clone())).map_err(ApiError::internal)?,
    );
    if diff.is_empty() {
        return Ok(());
    }
    let updated = product::Entity::update_many()
        .col_expr(product::Column::Name, Expr::value(after.name))
        .col_expr(product::Column::Description, Expr::value(after.description))
        .col_expr(product::Column::TaxRateIds, Expr::value(after.tax_rate_ids))
        .col_expr(product::Column::Active, Expr::value(after.active))
        .col_expr(product::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(product::Column::Version, Expr::col(product::Column::Version).add(1))
        .filter(product::Column::Id.eq(id))
        .filter(product::Column::Version.eq(before.version))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let entry = AuditEntry::new(acting, Some(organization_id), "product.update", "product", id);
    record(txn, entry.changes(diff)).await?;
    Ok(())
}

/// Adds a price to an active product.
///
/// # Errors
/// 404; 422 by field, or when the product is archived or has [`MAX_PRICES`] prices.
pub async fn price_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    product_id: Uuid,
    default_currency: Currency,
    new: NewPrice,
) -> Result<PriceOut, ApiError> {
    let owner = product::Entity::find_by_id(product_id)
        .filter(product::Column::OrganizationId.eq(organization_id))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let currency = new.currency.unwrap_or(default_currency);
    let mut errors = FieldErrors::new();
    if !owner.active {
        errors.add("product_id", "the product is archived");
    }
    if new.unit_amount < 0 || Money::new(new.unit_amount, currency).is_err() {
        errors.add("unit_amount", "must be 0 to 10^15 minor units");
    }
    let recurring =
        new.recurring.map(|recurring| (recurring.interval, recurring.interval_count.unwrap_or(1)));
    if let Some((interval, count)) = recurring
        && !(1..=interval.max_count()).contains(&count)
    {
        errors.add(
            "recurring.interval_count",
            format!("must be 1 to {} for {}s (three years at most)", interval.max_count(), interval.as_str()),
        );
    }
    let existing = price::Entity::find().filter(price::Column::ProductId.eq(product_id)).count(txn).await?;
    if existing >= MAX_PRICES {
        errors.add("product_id", format!("a product has at most {MAX_PRICES} prices"));
    }
    errors.into_result()?;
    let row = price::Model {
        id: Uuid::now_v7(),
        organization_id,
        product_id,
        currency: currency.code().to_owned(),
        unit_amount: new.unit_amount,
        interval: recurring.map(|(interval, _)| interval.as_str().to_owned()),
        interval_count: recurring.map(|(_, count)| count),
        active: true,
        created_at: Utc::now(),
    };
    price::Entity::insert(row.clone().into_active_model()).exec_without_returning(txn).await?;
    let out = PriceOut::from(row);
    let entry = AuditEntry::new(acting, Some(organization_id), "price.create", "price", out.id);
    record(txn, entry.changes(Changes::created(&out))).await?;
    Ok(out)
}

/// Archives (`active = false`) or offers again a price; nothing else of it changes.
///
/// # Errors
/// 404.
pub async fn price_set_active(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    active: bool,
) -> Result<PriceOut, ApiError> {
    let before =
        crate::selector::catalog::price_row(txn, organization_id, id).await?.ok_or(ApiError::NotFound)?;
    if before.active == active {
        return Ok(before.into());
    }
    price::Entity::update_many()
        .col_expr(price::Column::Active, Expr::value(active))
        .filter(price::Column::Id.eq(id))
        .exec(txn)
        .await?;
    let entry = AuditEntry::new(acting, Some(organization_id), "price.update", "price", id);
    record(txn, entry.changes(Changes::new().set("active", before.active, active))).await?;
    Ok(PriceOut { active, ..before.into() })
}
