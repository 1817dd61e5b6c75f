//! Uploading a file to import: it is stored with its mapping, and validation is queued.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::LeadsSettings;
use baseops_core::{Acting, ApiError};
use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::{MAX_FILE_NAME, Upload, enqueue, status};
use crate::import::mapping::columns;
use crate::import::{CsvFile, suggest};
use crate::model::lead_import;

/// Stores an upload, with the suggested mapping unless one is given, waiting for
/// validation, and (when `validate`) enqueues the job that runs it; a caller that validates
/// itself ([`import_validate`](super::import_validate), the CLI) passes `false`.
/// `organization_id`/`user_id` are the importer's.
///
/// # Errors
/// 413 over `leads.import_max_bytes`; 422 for a file that is not CSV or a mapping that does
/// not fit it.
pub async fn import_create(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    user_id: Option<Uuid>,
    upload: Upload,
    settings: &LeadsSettings,
    validate: bool,
) -> Result<lead_import::Model, ApiError> {
    if upload.bytes.len() > settings.import_max_bytes {
        return Err(ApiError::PayloadTooLarge);
    }
    let file = CsvFile::open(&upload.bytes, upload.delimiter)
        .map_err(|error| ApiError::invalid("file", error.to_string()))?;
    let mapping = match upload.mapping {
        Some(mapping) => mapping,
        None => suggest(&file.headers),
    };
    columns(&file.headers, &mapping).map_err(|message| ApiError::invalid("mapping", message))?;
    let now = Utc::now();
    let model = lead_import::Model {
        id: Uuid::now_v7(),
        organization_id,
        created_by: user_id,
        file_name: upload.file_name.chars().filter(|c| !c.is_control()).take(MAX_FILE_NAME).collect(),
        content: Some(upload.bytes),
        delimiter: char::from(file.delimiter).to_string(),
        columns: serde_json::to_string(&file.headers).unwrap_or_else(|_| "[]".into()),
        mapping: serde_json::to_string(&mapping).unwrap_or_else(|_| "{}".into()),
        on_duplicate: upload.on_duplicate.as_str().to_owned(),
        status: status::VALIDATING.to_owned(),
        rows_total: 0,
        rows_done: 0,
        report: None,
        error: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    lead_import::Entity::insert(sea_orm::IntoActiveModel::into_active_model(model.clone()))
        .exec_without_returning(txn)
        .await?;
    if validate {
        enqueue(txn, acting, organization_id, &crate::job::ValidateImport { import_id: model.id }).await?;
    }
    let changes = Changes::new()
        .set("file_name", None::<()>, &model.file_name)
        .set("mapping", None::<()>, &mapping)
        .set("on_duplicate", None::<()>, &model.on_duplicate);
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "lead_import.create", "lead_import", model.id)
            .changes(changes),
    )
    .await?;
    Ok(model)
}
