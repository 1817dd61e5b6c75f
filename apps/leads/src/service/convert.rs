//! Conversion: a won lead becomes a customer (in the customers app, which the billing app
//! takes over), and each keeps the other's id.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError};
use baseops_customers::{NewCustomer, Profile, customer_create};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::Expr;
use uuid::Uuid;

use crate::event::LeadConverted;
use crate::model::{ActivityKind, StageKind, lead};
use crate::permission::Access;
use crate::service::activity::add_activity;
use crate::service::lead::{check_version, lead_for, write};
use crate::service::lead_input::label;

/// Converts a won lead into a customer and returns the customer's id. `access` is
/// `leads.convert`.
///
/// # Errors
/// 404/403 out of reach, 412 stale version, 409 `not_won` or `already_converted`.
pub async fn lead_convert(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    id: Uuid,
    expected: Option<i32>,
) -> Result<Uuid, ApiError> {
    let found = lead_for(txn, access, id).await?;
    check_version(&found, expected)?;
    if let Some(customer_id) = found.customer_id {
        return Err(ApiError::Conflict {
            code: "already_converted",
            detail: format!("The lead was converted into customer {customer_id}."),
        });
    }
    if found.status != StageKind::Won.as_str() {
        return Err(ApiError::Conflict {
            code: "not_won",
            detail: "Only a won lead converts into a customer.".into(),
        });
    }
    let person = label(&found.first_name, &found.last_name, None, found.email.as_deref());
    let name = found.company.clone().unwrap_or(person);
    let customer = customer_create(
        txn,
        acting,
        access.organization_id,
        NewCustomer {
            name,
            email: found.email.clone(),
            phone: found.phone.clone(),
            company: found.company.clone(),
            lead_id: Some(id),
            profile: Profile::default(),
        },
    )
    .await?;
    let now = Utc::now();
    write(
        txn,
        &found,
        vec![(lead::Column::CustomerId, Expr::val(customer.id)), (lead::Column::ConvertedAt, Expr::val(now))],
        now,
    )
    .await?;
    let data = serde_json::json!({ "customer_id": customer.id });
    add_activity(
        txn,
        access.organization_id,
        id,
        ActivityKind::Conversion,
        access.user_id,
        String::new(),
        Some(data),
        now,
    )
    .await?;
    let converted = LeadConverted {
        lead_id: id,
        customer_id: customer.id,
        owner_id: found.owner_id,
        value_amount: found.value_amount,
        currency: found.currency.clone(),
    };
    baseops_jobs::emit(txn, acting, Some(access.organization_id), &converted).await?;
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.convert", "lead", id)
            .changes(Changes::new().set("customer_id", None::<()>, customer.id)),
    )
    .await?;
    Ok(customer.id)
}
