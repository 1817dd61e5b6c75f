//! Changing an import's mapping or duplicate handling: it is validated again.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use super::{OnDuplicate, enqueue, import_for, status};
use crate::import::Mapping;
use crate::import::mapping::columns;
use crate::model::lead_import;

/// Changes an import's mapping or duplicate handling and validates it again.
///
/// # Errors
/// 404; 409 `import_busy` while it validates or imports, `import_finished` once completed;
/// 422 for a mapping that does not fit the file.
pub async fn import_configure(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    id: Uuid,
    mapping: Option<Mapping>,
    on_duplicate: Option<OnDuplicate>,
) -> Result<(), ApiError> {
    let found = import_for(txn, organization_id, id).await?;
    match found.status.as_str() {
        status::VALIDATING | status::IMPORTING => {
            return Err(ApiError::Conflict {
                code: "import_busy",
                detail: "The import is running; wait for it.".into(),
            });
        }
        status::COMPLETED => {
            return Err(ApiError::Conflict {
                code: "import_finished",
                detail: "The import is complete.".into(),
            });
        }
        _ => {}
    }
    let headers: Vec<String> = serde_json::from_str(&found.columns).unwrap_or_default();
    let mapping = mapping.unwrap_or_else(|| serde_json::from_str(&found.mapping).unwrap_or_default());
    columns(&headers, &mapping).map_err(|message| ApiError::invalid("mapping", message))?;
    let on_duplicate = on_duplicate.unwrap_or_else(|| OnDuplicate::parse(&found.on_duplicate));
    let mut active: lead_import::ActiveModel = found.clone().into();
    active.mapping = Set(serde_json::to_string(&mapping).unwrap_or_else(|_| "{}".into()));
    active.on_duplicate = Set(on_duplicate.as_str().to_owned());
    active.status = Set(status::VALIDATING.to_owned());
    active.rows_done = Set(0);
    active.report = Set(None);
    active.error = Set(None);
    active.updated_at = Set(Utc::now());
    sea_orm::ActiveModelTrait::update(active, txn).await?;
    enqueue(txn, acting, organization_id, &crate::job::ValidateImport { import_id: id }).await?;
    let changes = Changes::new().set("mapping", &found.mapping, &mapping).set(
        "on_duplicate",
        &found.on_duplicate,
        on_duplicate.as_str(),
    );
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "lead_import.configure", "lead_import", id)
            .changes(changes),
    )
    .await?;
    Ok(())
}
