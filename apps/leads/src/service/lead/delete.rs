//! Deleting a lead; its activities and tags go with it (the database cascades them).

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{check_version, lead_for};
use crate::model::lead;
use crate::permission::Access;
use crate::service::lead_input::LeadFields;

/// Deletes a lead with its activities and tags. `access` is `leads.delete`.
///
/// # Errors
/// 404/403 out of reach, 412 stale version.
pub async fn lead_delete(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    id: Uuid,
    expected: Option<i32>,
) -> Result<(), ApiError> {
    let found = lead_for(txn, access, id).await?;
    check_version(&found, expected)?;
    lead::Entity::delete_many()
        .filter(lead::Column::Id.eq(id))
        .filter(lead::Column::Version.eq(found.version))
        .exec(txn)
        .await?;
    let fields = LeadFields::from(&found);
    let changes = Changes::new()
        .set("name", fields.label(), None::<()>)
        .set("email", &found.email, None::<()>)
        .set("owner_id", found.owner_id, None::<()>);
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.delete", "lead", id).changes(changes),
    )
    .await?;
    Ok(())
}
