//! CSV imports: upload (multipart), poll progress and the report, change the mapping,
//! commit. Everything needs `leads.import`.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use baseops_core::{ApiError, AppState, Json, Problem, RequestContext};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::import::{Mapping, suggest};
use crate::model::lead_import;
use crate::permission::LEADS_IMPORT;
use crate::service::import::{
    ImportReport, OnDuplicate, Upload, import_configure, import_create, import_for, import_start,
};

/// An import as the API shows it; poll it for progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportOut {
    /// Id.
    pub id: Uuid,
    /// The uploaded file's name.
    pub file_name: String,
    /// `uploaded`, `validating`, `validated`, `importing`, `completed` or `failed`.
    pub status: String,
    /// The file's column headers.
    pub columns: Vec<String>,
    /// Header → lead field in use.
    #[schema(value_type = Object)]
    pub mapping: Mapping,
    /// Header → lead field suggested from the headers.
    #[schema(value_type = Object)]
    pub suggested_mapping: Mapping,
    /// What happens to duplicates.
    pub on_duplicate: OnDuplicate,
    /// The separator read.
    pub delimiter: String,
    /// Data rows (known once validated).
    pub rows_total: i64,
    /// Rows processed in the current step.
    pub rows_done: i64,
    /// The validation report (with the outcome once completed).
    pub report: Option<ImportReport>,
    /// Why it failed.
    pub error: Option<String>,
    /// Upload time.
    pub created_at: DateTime<Utc>,
    /// Last progress.
    pub updated_at: DateTime<Utc>,
    /// When it completed or failed.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<lead_import::Model> for ImportOut {
    fn from(model: lead_import::Model) -> Self {
        let columns: Vec<String> = serde_json::from_str(&model.columns).unwrap_or_default();
        Self {
            id: model.id,
            file_name: model.file_name,
            status: model.status,
            suggested_mapping: suggest(&columns),
            mapping: serde_json::from_str(&model.mapping).unwrap_or_default(),
            columns,
            on_duplicate: serde_json::from_value(serde_json::Value::String(model.on_duplicate))
                .unwrap_or_default(),
            delimiter: model.delimiter,
            rows_total: model.rows_total,
            rows_done: model.rows_done,
            report: model.report.and_then(|text| serde_json::from_str(&text).ok()),
            error: model.error,
            created_at: model.created_at,
            updated_at: model.updated_at,
            finished_at: model.finished_at,
        }
    }
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The CSV file (UTF-8 or Latin-1; `,` `;` tab or `|` separated; a BOM is fine).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// JSON object header → lead field (`{"E-Mail": "email"}`); absent: suggested.
    mapping: Option<String>,
    /// `skip` (default), `update` or `create`.
    on_duplicate: Option<String>,
    /// The separator, one character; absent: detected.
    delimiter: Option<String>,
}

fn bad_form(detail: impl Into<String>) -> ApiError {
    ApiError::BadRequest { code: "bad_request", detail: detail.into() }
}

/// Longest text field of the form.
const MAX_FORM_TEXT: usize = 64 * 1024;

async fn read_upload(mut form: Multipart, max_bytes: usize) -> Result<Upload, ApiError> {
    let mut upload = Upload {
        file_name: String::new(),
        bytes: Vec::new(),
        delimiter: None,
        mapping: None,
        on_duplicate: OnDuplicate::Skip,
    };
    let mut has_file = false;
    let failed = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            bad_form(error.body_text())
        }
    };
    while let Some(mut field) = form.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            upload.file_name = field.file_name().unwrap_or("upload.csv").to_owned();
            while let Some(chunk) = field.chunk().await.map_err(failed)? {
                if upload.bytes.len() + chunk.len() > max_bytes {
                    return Err(ApiError::PayloadTooLarge);
                }
                upload.bytes.extend_from_slice(&chunk);
            }
            has_file = true;
            continue;
        }
        let mut text = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(failed)? {
            if text.len() + chunk.len() > MAX_FORM_TEXT {
                return Err(ApiError::invalid(&name, "is too long"));
            }
            text.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(text).map_err(|_| ApiError::invalid(&name, "is not UTF-8 text"))?;
        match name.as_str() {
            "mapping" => {
                upload.mapping = Some(serde_json::from_str(&text).map_err(|error| {
                    ApiError::invalid("mapping", format!("is not header → field JSON: {error}"))
                })?);
            }
            "on_duplicate" => {
                upload.on_duplicate = serde_json::from_value(serde_json::Value::String(text))
                    .map_err(|_| ApiError::invalid("on_duplicate", "must be skip, update or create"))?;
            }
            "delimiter" => {
                let mut chars = text.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if c.is_ascii() && c != '"' => upload.delimiter = Some(c as u8),
                    _ => return Err(ApiError::invalid("delimiter", "must be one ASCII character")),
                }
            }
            _ => return Err(ApiError::invalid(&name, "is not a field of this form")),
        }
    }
    if !has_file {
        return Err(ApiError::invalid("file", "is required"));
    }
    Ok(upload)
}

/// Uploads a CSV file to import: its columns are mapped (suggested from the headers unless
/// `mapping` is given) and every row is validated in the background. Poll the import until
/// `validated`, read the report, then commit. The file is limited by
/// `leads.import_max_bytes` (this route is exempt from `server.body_limit_bytes`).
#[utoipa::path(post, path = "/leads/imports", operation_id = "leads_upload_import", tag = "leads",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Stored; validation runs in the background", body = ImportOut),
        (status = 400, description = "Not a multipart form", body = Problem),
        (status = 403, description = "Requires leads.import", body = Problem),
        (status = 413, description = "The file is too large", body = Problem),
        (status = 415, description = "Not multipart/form-data", body = Problem),
        (status = 422, description = "Not CSV, or a mapping that does not fit the file", body = Problem),
    ))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    ctx: RequestContext,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<ImportOut>), ApiError> {
    ctx.require(LEADS_IMPORT)?;
    let form = form.map_err(|_| {
        ApiError::UnsupportedMediaType("Expected multipart/form-data with a file field.".into())
    })?;
    let import = store_upload(&state, &ctx, form).await?;
    Ok((StatusCode::ACCEPTED, Json(ImportOut::from(import))))
}

/// Reads an upload form and stores its file as a new import of `ctx`'s organization, whose
/// validation starts in the background (the console's wizard uploads the same way).
///
/// # Errors
/// 413 for a file over `leads.import_max_bytes`, 422 for a form or file that is not one.
pub(crate) async fn store_upload(
    state: &AppState,
    ctx: &RequestContext,
    form: Multipart,
) -> Result<lead_import::Model, ApiError> {
    let settings = &state.settings().leads;
    let upload = read_upload(form, settings.import_max_bytes).await?;
    let txn = state.db().write().begin().await?;
    let organization_id = ctx.organization_id()?;
    let import =
        import_create(&txn, ctx.acting(), organization_id, Some(ctx.user_id()), upload, settings, true)
            .await?;
    txn.commit().await?;
    Ok(import)
}

/// An import: status, progress, mapping and report.
#[utoipa::path(get, path = "/leads/imports/{id}", operation_id = "leads_import_detail", tag = "leads",
    params(("id" = Uuid, Path, description = "Import id")), responses(
        (status = 200, description = "The import", body = ImportOut),
        (status = 403, description = "Requires leads.import", body = Problem),
        (status = 404, description = "No such import", body = Problem),
    ))]
pub(crate) async fn import_detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<Json<ImportOut>, ApiError> {
    ctx.require(LEADS_IMPORT)?;
    Ok(Json(import_for(state.db().read(), ctx.organization_id()?, id).await?.into()))
}

/// A new mapping or duplicate handling for an import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reconfigure {
    /// Header → lead field; absent: unchanged.
    #[schema(value_type = Option<Object>)]
    pub mapping: Option<Mapping>,
    /// `skip`, `update` or `create`; absent: unchanged.
    pub on_duplicate: Option<OnDuplicate>,
}

/// Changes an import's mapping or duplicate handling and validates it again.
#[utoipa::path(post, path = "/leads/imports/{id}/validate", operation_id = "leads_configure_import", tag = "leads",
    request_body = Reconfigure, params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 202, description = "Validation runs again", body = ImportOut),
        (status = 403, description = "Requires leads.import", body = Problem),
        (status = 404, description = "No such import", body = Problem),
        (status = 409, description = "Running (import_busy) or complete (import_finished)", body = Problem),
        (status = 422, description = "A mapping that does not fit the file", body = Problem),
    ))]
pub(crate) async fn configure(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
    Json(input): Json<Reconfigure>,
) -> Result<(StatusCode, Json<ImportOut>), ApiError> {
    ctx.require(LEADS_IMPORT)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    import_configure(&txn, ctx.acting(), organization_id, id, input.mapping, input.on_duplicate).await?;
    txn.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(import_for(state.db().write(), organization_id, id).await?.into())))
}

/// Commits a validated import: its valid rows become leads in the background (duplicates
/// handled as chosen). Poll the import for progress.
#[utoipa::path(post, path = "/leads/imports/{id}/commit", operation_id = "leads_commit_import", tag = "leads",
    params(("id" = Uuid, Path, description = "Import id")), responses(
        (status = 202, description = "Importing", body = ImportOut),
        (status = 403, description = "Requires leads.import", body = Problem),
        (status = 404, description = "No such import", body = Problem),
        (status = 409, description = "Not validated (import_not_ready)", body = Problem),
    ))]
pub(crate) async fn commit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<Uuid>,
) -> Result<(StatusCode, Json<ImportOut>), ApiError> {
    ctx.require(LEADS_IMPORT)?;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await?;
    import_start(&txn, ctx.acting(), organization_id, id, true).await?;
    txn.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(import_for(state.db().write(), organization_id, id).await?.into())))
}
