//! Reads: one customer, and the organization's customers newest first.

use baseops_core::{Page, Paging};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::customer;
use crate::profile::{Address, Profile, TaxExempt, TaxId};

/// A customer as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerOut {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// The lead it was converted from.
    pub lead_id: Option<Uuid>,
    /// The name invoices are addressed to.
    pub legal_name: Option<String>,
    /// Where invoices go.
    pub billing_address: Option<Address>,
    /// Where goods go.
    pub shipping_address: Option<Address>,
    /// Tax ids, canonical.
    pub tax_ids: Vec<TaxId>,
    /// Tax treatment.
    pub tax_exempt: TaxExempt,
    /// ISO 4217 currency invoices default to.
    pub currency: Option<String>,
    /// Payment terms invoices default to.
    pub payment_terms_days: Option<i32>,
    /// Who receives invoices and reminders.
    pub billing_emails: Vec<String>,
    /// Language tag of documents.
    pub locale: Option<String>,
    /// Creation time.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

impl From<customer::Model> for CustomerOut {
    fn from(model: customer::Model) -> Self {
        let profile = Profile::of(&model);
        Self {
            legal_name: profile.legal_name,
            billing_address: profile.billing_address,
            shipping_address: profile.shipping_address,
            tax_ids: profile.tax_ids,
            tax_exempt: profile.tax_exempt,
            currency: profile.currency.map(|currency| currency.code().to_owned()),
            payment_terms_days: profile.payment_terms_days,
            billing_emails: profile.billing_emails,
            locale: profile.locale,
            id: model.id,
            name: model.name,
            email: model.email,
            phone: model.phone,
            company: model.company,
            lead_id: model.lead_id,
            created_at: model.created_at,
            version: model.version,
        }
    }
}

/// A customer of the organization, `None` when it does not exist there.
///
/// # Errors
/// Database errors.
pub async fn customer_by_id(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<CustomerOut>, DbErr> {
    let found = customer::Entity::find_by_id(id)
        .filter(customer::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?;
    Ok(found.map(CustomerOut::from))
}

/// The order cursors of the customer list are made for.
pub const SORT: &str = "-created";

/// A page of the organization's customers, newest first.
///
/// # Errors
/// Database errors.
pub async fn customer_list(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    paging: &Paging,
) -> Result<Page<CustomerOut>, DbErr> {
    let mut query = customer::Entity::find().filter(customer::Column::OrganizationId.eq(organization_id));
    if let Some(after) = &paging.after {
        query = query.filter(customer::Column::Id.lt(after.id));
    }
    let rows = query.order_by_desc(customer::Column::Id).limit(paging.fetch()).all(db).await?;
    Ok(paging.page(rows, SORT, |last| (serde_json::Value::Null, last.id), CustomerOut::from))
}

/// The names of the organization's customers among `ids` (at most a page's worth), for lists
/// of other apps' records that show who they are for.
///
/// # Errors
/// Database errors.
pub async fn customer_names(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, DbErr> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::Name)
        .filter(customer::Column::OrganizationId.eq(organization_id))
        .filter(customer::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
