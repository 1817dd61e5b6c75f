//! Starting to commit a validated import (the API's `commit`): the rows are written by
//! [`super::commit`], in a background job unless the caller runs it itself.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{enqueue, import_for, status};
use crate::model::lead_import;

/// Starts committing a validated import (as a background job unless `enqueue_job` is false,
/// for a caller that runs [`import_commit`](super::import_commit) itself).
///
/// # Errors
/// 404; 409 `import_not_ready` unless it is validated.
pub async fn import_start(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    enqueue_job: bool,
) -> Result<(), ApiError> {
    let found = import_for(txn, organization_id, id).await?;
    if found.status != status::VALIDATED {
        return Err(ApiError::Conflict {
            code: "import_not_ready",
            detail: format!("The import is {}; only a validated import can be committed.", found.status),
        });
    }
    lead_import::Entity::update_many()
        .col_expr(lead_import::Column::Status, Expr::val(status::IMPORTING))
        .col_expr(lead_import::Column::RowsDone, Expr::val(0_i64))
        .col_expr(lead_import::Column::UpdatedAt, Expr::val(Utc::now()))
        .filter(lead_import::Column::Id.eq(id))
        .exec(txn)
        .await?;
    if enqueue_job {
        enqueue(txn, acting, organization_id, &crate::job::CommitImport { import_id: id }).await?;
    }
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "lead_import.start", "lead_import", id)
            .changes(Changes::new().set("status", &found.status, status::IMPORTING)),
    )
    .await?;
    Ok(())
}
