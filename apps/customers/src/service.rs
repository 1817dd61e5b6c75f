//! Writes: creating a customer (the leads app's conversion calls it inside its transaction).

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::Acting;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use crate::model::customer;

/// A customer to create; text is already validated by the caller.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    /// Display name (a person's or a company's), 1–200 characters.
    pub name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number (E.164 where possible).
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// The lead it converts from.
    pub lead_id: Option<Uuid>,
}

/// Creates a customer in the caller's transaction, with its audit record.
///
/// # Errors
/// Database errors, among them a unique violation when the lead already has a customer.
pub async fn customer_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    new: NewCustomer,
) -> Result<customer::Model, DbErr> {
    let now = chrono::Utc::now();
    let model = customer::Model {
        id: Uuid::now_v7(),
        organization_id,
        name: new.name.chars().take(200).collect(),
        email: new.email,
        phone: new.phone,
        company: new.company,
        lead_id: new.lead_id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    customer::Entity::insert(model.clone().into_active_model()).exec_without_returning(txn).await?;
    let changes = Changes::new()
        .set("name", None::<()>, &model.name)
        .set("email", None::<()>, &model.email)
        .set("lead_id", None::<()>, model.lead_id);
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "customer.create", "customer", model.id)
            .changes(changes),
    )
    .await?;
    Ok(model)
}

/// Points a customer at another lead (the survivor of a merge), in the caller's
/// transaction, with its audit record. Nothing happens for a customer of another
/// organization.
///
/// # Errors
/// Database errors.
pub async fn customer_relink_lead(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    customer_id: Uuid,
    from_lead: Uuid,
    to_lead: Uuid,
) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let updated = customer::Entity::update_many()
        .col_expr(customer::Column::LeadId, sea_orm::sea_query::Expr::value(to_lead))
        .col_expr(customer::Column::UpdatedAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
        .filter(customer::Column::Id.eq(customer_id))
        .filter(customer::Column::OrganizationId.eq(organization_id))
        .exec(txn)
        .await?;
    if updated.rows_affected > 0 {
        record(
            txn,
            AuditEntry::new(acting, Some(organization_id), "customer.relink_lead", "customer", customer_id)
                .changes(Changes::new().set("lead_id", from_lead, to_lead)),
        )
        .await?;
    }
    Ok(())
}
