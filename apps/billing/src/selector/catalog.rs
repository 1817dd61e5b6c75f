//! Reads of the catalog: products a page at a time, a product with its prices.

use baseops_core::{Page, Paging};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::interval::Interval;
use crate::model::{price, product};

/// The order cursors of the product list are made for.
pub const SORT: &str = "-created";
/// Most prices a product has.
pub const MAX_PRICES: u64 = 100;

/// A price as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PriceOut {
    /// Id.
    pub id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// ISO 4217.
    pub currency: String,
    /// Minor units per unit.
    pub unit_amount: i64,
    /// Billed every `interval_count` of these; none for a one-off price.
    pub interval: Option<Interval>,
    /// How many intervals a period spans.
    pub interval_count: Option<i32>,
    /// Offered for new subscriptions and lines.
    pub active: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl From<price::Model> for PriceOut {
    fn from(row: price::Model) -> Self {
        Self {
            id: row.id,
            product_id: row.product_id,
            currency: row.currency,
            unit_amount: row.unit_amount,
            interval: row.interval.as_deref().and_then(Interval::parse),
            interval_count: row.interval_count,
            active: row.active,
            created_at: row.created_at,
        }
    }
}

/// A product as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProductOut {
    /// Id.
    pub id: Uuid,
    /// Its name on invoices.
    pub name: String,
    /// A longer description.
    pub description: Option<String>,
    /// The tax rates its lines get.
    pub tax_rate_ids: Vec<Uuid>,
    /// Offered for new subscriptions and lines.
    pub active: bool,
    /// Its prices, oldest first (left out of lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<Vec<PriceOut>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency version (the `ETag`).
    pub version: i32,
}

impl From<product::Model> for ProductOut {
    fn from(row: product::Model) -> Self {
        Self {
            id: row.id,
            name: row.name,
            description: row.description,
            tax_rate_ids: serde_json::from_str(&row.tax_rate_ids).unwrap_or_default(),
            active: row.active,
            prices: None,
            created_at: row.created_at,
            version: row.version,
        }
    }
}

/// A product of the organization with its prices, `None` when it is not there.
///
/// # Errors
/// Database errors.
pub async fn product_detail(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<ProductOut>, DbErr> {
    let Some(row) = product::Entity::find_by_id(id)
        .filter(product::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let prices = price::Entity::find()
        .filter(price::Column::ProductId.eq(id))
        .order_by_asc(price::Column::Id)
        .limit(MAX_PRICES)
        .all(db)
        .await?;
    Ok(Some(ProductOut { prices: Some(prices.into_iter().map(PriceOut::from).collect()), ..row.into() }))
}

/// `products` with their prices, read in one query (a page of the list, for the console).
///
/// # Errors
/// Database errors.
pub async fn with_prices(
    db: &impl ConnectionTrait,
    products: Vec<ProductOut>,
) -> Result<Vec<ProductOut>, DbErr> {
    if products.is_empty() {
        return Ok(products);
    }
    let ids: Vec<Uuid> = products.iter().map(|product| product.id).collect();
    // Each product has at most MAX_PRICES, so a page's prices are bounded too.
    let rows = price::Entity::find()
        .filter(price::Column::ProductId.is_in(ids))
        .order_by_asc(price::Column::Id)
        .limit(MAX_PRICES.saturating_mul(products.len() as u64))
        .all(db)
        .await?;
    let mut by_product: std::collections::HashMap<Uuid, Vec<PriceOut>> = std::collections::HashMap::new();
    for row in rows {
        by_product.entry(row.product_id).or_default().push(PriceOut::from(row));
    }
    Ok(products
        .into_iter()
        .map(|product| {
            let prices = by_product.remove(&product.id).unwrap_or_default();
            ProductOut { prices: Some(prices), ..product }
        })
        .collect())
}

/// A page of the organization's products, newest first, maybe only the active ones.
///
/// # Errors
/// Database errors.
pub async fn product_list(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    active: Option<bool>,
    paging: &Paging,
) -> Result<Page<ProductOut>, DbErr> {
    let mut query = product::Entity::find().filter(product::Column::OrganizationId.eq(organization_id));
    if let Some(active) = active {
        query = query.filter(product::Column::Active.eq(active));
    }
    if let Some(after) = &paging.after {
        query = query.filter(product::Column::Id.lt(after.id));
    }
    let rows = query.order_by_desc(product::Column::Id).limit(paging.fetch()).all(db).await?;
    Ok(paging.page(rows, SORT, |last| (serde_json::Value::Null, last.id), ProductOut::from))
}

/// A price of the organization, `None` when it is not there.
///
/// # Errors
/// Database errors.
pub(crate) async fn price_row(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<price::Model>, DbErr> {
    price::Entity::find_by_id(id).filter(price::Column::OrganizationId.eq(organization_id)).one(db).await
}
