//! Giving a lead another owner: recorded on its timeline, and the new owner hears of it.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, Directory};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::Expr;
use uuid::Uuid;

use super::{check_version, lead_for, write};
use crate::event::LeadAssigned;
use crate::model::{ActivityKind, lead};
use crate::permission::Access;
use crate::service::activity::add_activity;
use crate::service::directory::is_member;
use crate::service::lead_input::LeadFields;

/// Gives a lead another owner (`None`: unassigned); `false` when it already has that owner.
/// `access` is `leads.assign`.
///
/// # Errors
/// 404/403 out of reach, 412 stale version, 422 for an owner who is not a member.
pub async fn lead_assign(
    txn: &impl ConnectionTrait,
    directory: &dyn Directory,
    acting: Acting<'_>,
    access: &Access,
    id: Uuid,
    expected: Option<i32>,
    owner_id: Option<Uuid>,
) -> Result<bool, ApiError> {
    let found = lead_for(txn, access, id).await?;
    check_version(&found, expected)?;
    if found.owner_id == owner_id {
        return Ok(false);
    }
    if let Some(owner) = owner_id
        && !is_member(txn, directory, access.organization_id, owner).await?
    {
        return Err(ApiError::invalid("owner_id", "is not a member of this organization"));
    }
    let now = Utc::now();
    write(txn, &found, vec![(lead::Column::OwnerId, Expr::val(owner_id))], now).await?;
    let data = serde_json::json!({"from_owner_id": found.owner_id, "to_owner_id": owner_id});
    add_activity(
        txn,
        access.organization_id,
        id,
        ActivityKind::Assignment,
        access.user_id,
        String::new(),
        Some(data),
        now,
    )
    .await?;
    let fields = LeadFields::from(&found);
    let assigned = LeadAssigned {
        lead_id: id,
        owner_id,
        previous_owner_id: found.owner_id,
        label: fields.label(),
        by: acting.actor.user_id(),
    };
    baseops_jobs::emit(txn, acting, Some(access.organization_id), &assigned).await?;
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.assign", "lead", id)
            .changes(Changes::new().set("owner_id", found.owner_id, owner_id)),
    )
    .await?;
    Ok(true)
}
