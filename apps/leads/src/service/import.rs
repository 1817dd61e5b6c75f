//! CSV import, the database side: an upload becomes a `lead_imports` row holding the file;
//! validation reads every row, de-duplicates (within the file and against the
//! organization's leads, by e-mail and by normalized phone) and stores a report; committing
//! writes the rows in batches of [`BATCH`], each batch one transaction with its progress and
//! one audit record, so a large import runs as a background job that can resume where it
//! stopped. The API polls the row; the CLI drives the same functions with a progress bar.

use std::collections::{HashMap, HashSet};

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::LeadsSettings;
use baseops_core::{Acting, ApiError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::event::LeadsImported;
use crate::import::mapping::columns;
use crate::import::row::RowProblem;
use crate::import::{CsvFile, ImportField, Mapping, read_row, suggest};
use crate::model::{lead, lead_import, stage};
use crate::service::lead::{diff, insert_tags, organization_currency, write};
use crate::service::lead_input::{LeadFields, MAX_TAGS};
use crate::service::pipeline::pipeline_ensure_default;

/// Rows written per transaction.
pub const BATCH: usize = 500;
/// Problems kept in a report (all are counted).
pub const MAX_PROBLEMS: usize = 1000;
/// Longest file name kept.
const MAX_FILE_NAME: usize = 255;

/// Import states as stored.
pub mod status {
    /// Uploaded, waiting for validation.
    pub const UPLOADED: &str = "uploaded";
    /// Being validated.
    pub const VALIDATING: &str = "validating";
    /// Validated: the report is ready, the import can be committed.
    pub const VALIDATED: &str = "validated";
    /// Writing leads.
    pub const IMPORTING: &str = "importing";
    /// Done.
    pub const COMPLETED: &str = "completed";
    /// The file could not be read (see `error`).
    pub const FAILED: &str = "failed";
}

/// What to do with a row whose e-mail or phone matches a lead (or an earlier row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnDuplicate {
    /// Leave the existing lead alone (the default).
    #[default]
    Skip,
    /// Fill the existing lead with the row's non-empty values (tags are added).
    Update,
    /// Create a lead anyway.
    Create,
}

impl OnDuplicate {
    fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::Update => "update",
            Self::Create => "create",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "update" => Self::Update,
            "create" => Self::Create,
            _ => Self::Skip,
        }
    }
}

/// The validation report, completed with the outcome once committed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// Data rows in the file.
    pub rows_total: u64,
    /// Rows that make a valid lead.
    pub rows_valid: u64,
    /// Rows with problems (never imported).
    pub rows_invalid: u64,
    /// Valid rows repeating the e-mail or phone of an earlier row.
    pub duplicates_in_file: u64,
    /// Valid rows matching an existing lead's e-mail or phone.
    pub duplicates_existing: u64,
    /// The first [`MAX_PROBLEMS`] problems, by row.
    pub problems: Vec<RowProblem>,
    /// Every problem, counted.
    pub problems_total: u64,
    /// Leads created (after committing).
    pub created: u64,
    /// Existing leads updated.
    pub updated: u64,
    /// Rows not imported: invalid, or duplicates skipped.
    pub skipped: u64,
}

/// An uploaded file and how to read it.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The file's name, for people.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The separator; `None`: detected.
    pub delimiter: Option<u8>,
    /// Header → field; `None`: suggested from the headers.
    pub mapping: Option<Mapping>,
    /// What to do with duplicates.
    pub on_duplicate: OnDuplicate,
}

fn unprocessable(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid(field, message)
}

/// Stores an upload, with the suggested mapping unless one is given, waiting for
/// validation, and (when `validate`) enqueues the job that runs it; a caller that validates
/// itself ([`import_validate`], the CLI) passes `false`. `organization_id`/`user_id` are the importer's.
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
        .map_err(|error| unprocessable("file", error.to_string()))?;
    let mapping = match upload.mapping {
        Some(mapping) => mapping,
        None => suggest(&file.headers),
    };
    columns(&file.headers, &mapping).map_err(|message| unprocessable("mapping", message))?;
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

async fn enqueue<J: baseops_jobs::Job>(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    job: &J,
) -> Result<(), ApiError> {
    let job = baseops_jobs::Enqueue::new(job)
        .map_err(ApiError::internal)?
        .context(Some(organization_id), Some(acting.origin.request_id.as_str()));
    baseops_jobs::enqueue(txn, job).await?;
    Ok(())
}

/// An import of the organization, or 404.
///
/// # Errors
/// 404; database errors.
pub async fn import_for(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<lead_import::Model, ApiError> {
    lead_import::Entity::find_by_id(id)
        .filter(lead_import::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

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
    columns(&headers, &mapping).map_err(|message| unprocessable("mapping", message))?;
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

/// Starts committing a validated import (as a background job unless `enqueue_job` is false,
/// for a caller that runs [`import_commit`] itself).
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

/// Why a validation or commit run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The database failed: run again later.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// The import is gone or not in the state this run needs.
    #[error("import {0} is not waiting for this step")]
    NotWaiting(Uuid),
    /// The file can't be imported; the import is marked failed with this reason.
    #[error("{0}")]
    Failed(String),
}

/// Progress callback: (rows done, rows total).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

async fn mark_failed(db: &DatabaseConnection, id: Uuid, reason: &str) -> Result<(), DbErr> {
    lead_import::Entity::update_many()
        .col_expr(lead_import::Column::Status, Expr::val(status::FAILED))
        .col_expr(lead_import::Column::Error, Expr::val(reason.chars().take(1000).collect::<String>()))
        .col_expr(lead_import::Column::Content, Expr::val(None::<Vec<u8>>))
        .col_expr(lead_import::Column::UpdatedAt, Expr::val(Utc::now()))
        .col_expr(lead_import::Column::FinishedAt, Expr::val(Utc::now()))
        .filter(lead_import::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

async fn set_progress(
    db: &impl ConnectionTrait,
    id: Uuid,
    done: u64,
    total: Option<u64>,
) -> Result<(), DbErr> {
    let mut update = lead_import::Entity::update_many()
        .col_expr(lead_import::Column::RowsDone, Expr::val(done as i64))
        .col_expr(lead_import::Column::UpdatedAt, Expr::val(Utc::now()));
    if let Some(total) = total {
        update = update.col_expr(lead_import::Column::RowsTotal, Expr::val(total as i64));
    }
    update.filter(lead_import::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// The members of an organization by lower-case e-mail.
async fn members_by_email(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<HashMap<String, Uuid>, DbErr> {
    let (m, u) = (Alias::new("m"), Alias::new("u"));
    let query = Query::select()
        .expr_as(Expr::col((u.clone(), Alias::new("id"))), Alias::new("user_id"))
        .expr_as(Expr::col((u.clone(), Alias::new("email"))), Alias::new("email"))
        .from_as(Alias::new("memberships"), m.clone())
        .join_as(
            JoinType::InnerJoin,
            Alias::new("users"),
            u.clone(),
            Expr::col((u, Alias::new("id"))).equals((m.clone(), Alias::new("user_id"))),
        )
        .and_where(Expr::col((m, Alias::new("organization_id"))).eq(organization_id))
        .to_owned();
    let mut members = HashMap::new();
    for row in db.query_all(&query).await? {
        let email: String = row.try_get("", "email")?;
        members.insert(email.to_lowercase(), row.try_get("", "user_id")?);
    }
    Ok(members)
}

/// The keys a lead is de-duplicated by.
fn keys(fields: &LeadFields) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(email) = &fields.email {
        keys.push(format!("e:{email}"));
    }
    if let Some(phone) = &fields.phone {
        keys.push(format!("p:{phone}"));
    }
    keys
}

/// The organization's leads matching any of these e-mails or phones, by key.
async fn existing(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    emails: Vec<String>,
    phones: Vec<String>,
) -> Result<HashMap<String, lead::Model>, DbErr> {
    let mut found = HashMap::new();
    if emails.is_empty() && phones.is_empty() {
        return Ok(found);
    }
    let rows = lead::Entity::find()
        .filter(lead::Column::OrganizationId.eq(organization_id))
        .filter(
            Condition::any().add(lead::Column::Email.is_in(emails)).add(lead::Column::Phone.is_in(phones)),
        )
        .all(db)
        .await?;
    for row in rows {
        for key in keys(&LeadFields::from(&row)) {
            found.entry(key).or_insert_with(|| row.clone());
        }
    }
    Ok(found)
}

/// Everything a run needs from the stored import.
struct Prepared {
    model: lead_import::Model,
    file: CsvFile,
    columns: Vec<ImportField>,
    on_duplicate: OnDuplicate,
    currency: String,
    members: HashMap<String, Uuid>,
}

async fn prepare(db: &DatabaseConnection, id: Uuid, wanted: &str) -> Result<Prepared, RunError> {
    let model = lead_import::Entity::find_by_id(id).one(db).await?.ok_or(RunError::NotWaiting(id))?;
    if model.status != wanted {
        return Err(RunError::NotWaiting(id));
    }
    let bytes =
        model.content.clone().ok_or_else(|| RunError::Failed("the file is no longer stored".into()))?;
    let delimiter = model.delimiter.bytes().next();
    let file = CsvFile::open(&bytes, delimiter).map_err(|error| RunError::Failed(error.to_string()))?;
    let mapping: Mapping = serde_json::from_str(&model.mapping).unwrap_or_default();
    let columns = columns(&file.headers, &mapping).map_err(RunError::Failed)?;
    let currency = organization_currency(db, model.organization_id).await?;
    let members = members_by_email(db, model.organization_id).await?;
    let on_duplicate = OnDuplicate::parse(&model.on_duplicate);
    Ok(Prepared { model, file, columns, on_duplicate, currency, members })
}

/// Validates every row of an import waiting in `validating`, storing its report and
/// moving it to `validated` (or `failed` when the file can't be read).
///
/// # Errors
/// [`RunError`]; on [`RunError::Failed`] the import is already marked failed.
pub async fn import_validate(
    db: &DatabaseConnection,
    id: Uuid,
    settings: &LeadsSettings,
    progress: Progress<'_>,
) -> Result<ImportReport, RunError> {
    let result = validate_inner(db, id, settings, progress).await;
    if let Err(RunError::Failed(reason)) = &result {
        mark_failed(db, id, reason).await?;
    }
    result
}

async fn validate_inner(
    db: &DatabaseConnection,
    id: Uuid,
    settings: &LeadsSettings,
    progress: Progress<'_>,
) -> Result<ImportReport, RunError> {
    let prepared = prepare(db, id, status::VALIDATING).await?;
    let organization_id = prepared.model.organization_id;
    let region = settings.default_phone_region.as_str();
    let mut report = ImportReport::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut pending: Vec<Vec<String>> = Vec::new();
    let problem = |report: &mut ImportReport, item: RowProblem| {
        report.problems_total += 1;
        if report.problems.len() < MAX_PROBLEMS {
            report.problems.push(item);
        }
    };
    for (row, record) in prepared.file.records() {
        report.rows_total += 1;
        if report.rows_total > settings.import_max_rows as u64 {
            return Err(RunError::Failed(format!(
                "the file has more than {} rows",
                settings.import_max_rows
            )));
        }
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                report.rows_invalid += 1;
                problem(&mut report, RowProblem { row, field: "row".into(), problem: error });
                continue;
            }
        };
        let outcome = read_row(row, &record, &prepared.columns, &prepared.currency, region);
        let mut problems = outcome.problems;
        if let Some(owner) = &outcome.owner_email
            && !prepared.members.contains_key(owner)
        {
            problems.push(RowProblem {
                row,
                field: "owner_email".into(),
                problem: "is not a member of this organization".into(),
            });
        }
        let Some(fields) = outcome.fields.filter(|_| problems.is_empty()) else {
            report.rows_invalid += 1;
            for item in problems {
                problem(&mut report, item);
            }
            continue;
        };
        report.rows_valid += 1;
        let row_keys = keys(&fields);
        if row_keys.iter().any(|key| seen.contains(key)) {
            report.duplicates_in_file += 1;
        } else {
            pending.push(row_keys.clone());
        }
        seen.extend(row_keys);
        if pending.len() >= BATCH {
            report.duplicates_existing +=
                count_existing(db, organization_id, &std::mem::take(&mut pending)).await?;
            set_progress(db, id, report.rows_total, None).await?;
            progress(report.rows_total, 0);
        }
    }
    report.duplicates_existing += count_existing(db, organization_id, &pending).await?;
    lead_import::Entity::update_many()
        .col_expr(lead_import::Column::Status, Expr::val(status::VALIDATED))
        .col_expr(lead_import::Column::RowsTotal, Expr::val(report.rows_total as i64))
        .col_expr(lead_import::Column::RowsDone, Expr::val(report.rows_total as i64))
        .col_expr(lead_import::Column::Report, Expr::val(serde_json::to_string(&report).unwrap_or_default()))
        .col_expr(lead_import::Column::UpdatedAt, Expr::val(Utc::now()))
        .filter(lead_import::Column::Id.eq(id))
        .filter(lead_import::Column::Status.eq(status::VALIDATING))
        .exec(db)
        .await?;
    progress(report.rows_total, report.rows_total);
    Ok(report)
}

/// How many of these rows (their keys) match an existing lead.
async fn count_existing(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    rows: &[Vec<String>],
) -> Result<u64, DbErr> {
    let (emails, phones) = split_keys(rows.iter().flatten());
    let found = existing(db, organization_id, emails, phones).await?;
    Ok(rows.iter().filter(|row_keys| row_keys.iter().any(|key| found.contains_key(key))).count() as u64)
}

fn split_keys<'a>(keys: impl Iterator<Item = &'a String>) -> (Vec<String>, Vec<String>) {
    let (mut emails, mut phones) = (Vec::new(), Vec::new());
    for key in keys {
        if let Some(email) = key.strip_prefix("e:") {
            emails.push(email.to_owned());
        } else if let Some(phone) = key.strip_prefix("p:") {
            phones.push(phone.to_owned());
        }
    }
    (emails, phones)
}

/// A new lead ready for a multi-row insert.
#[derive(Debug, Clone)]
pub struct SeedRow {
    /// Its fields.
    pub fields: LeadFields,
    /// Its owner.
    pub owner_id: Option<Uuid>,
    /// Its stage and that stage's kind; `None`: the batch's start stage (open).
    pub stage: Option<(StartStage, crate::model::StageKind)>,
}

/// Where new leads start: the default pipeline's first stage.
#[derive(Debug, Clone, Copy)]
pub struct StartStage {
    /// The pipeline.
    pub pipeline_id: Uuid,
    /// The stage.
    pub stage_id: Uuid,
}

/// The default pipeline's first stage (created on first use).
///
/// # Errors
/// Database errors.
pub async fn start_stage(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
) -> Result<StartStage, DbErr> {
    let pipeline_id = pipeline_ensure_default(txn, acting, organization_id).await?;
    let first = stage::Entity::find()
        .filter(stage::Column::PipelineId.eq(pipeline_id))
        .filter(stage::Column::Kind.eq("open"))
        .order_by(stage::Column::Position, sea_orm::Order::Asc)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::Custom("leads: the default pipeline has no open stage".into()))?;
    Ok(StartStage { pipeline_id, stage_id: first.id })
}

/// Inserts many new leads with one multi-row statement (and one for their tags), in the
/// caller's transaction, and records one audit event `action` on `entity` listing them.
/// Used by imports and demo data; emits no per-lead events.
///
/// # Errors
/// Database errors.
#[allow(clippy::too_many_arguments)]
pub async fn leads_insert_many(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    start: StartStage,
    created_by: Option<Uuid>,
    rows: Vec<SeedRow>,
    audit: (&str, &str, Uuid),
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids = Vec::with_capacity(rows.len());
    let mut tags: Vec<(Uuid, Vec<String>)> = Vec::new();
    let models: Vec<lead::ActiveModel> = rows
        .into_iter()
        .map(|row| {
            let id = Uuid::now_v7();
            ids.push(id);
            let fields = row.fields;
            if !fields.tags.is_empty() {
                tags.push((id, fields.tags.clone()));
            }
            let search = fields.search_text();
            let (placed, kind) = row.stage.unwrap_or((start, crate::model::StageKind::Open));
            let [utm_source, utm_medium, utm_campaign, utm_term, utm_content] = fields.utm;
            lead::ActiveModel {
                id: Set(id),
                organization_id: Set(organization_id),
                first_name: Set(fields.first_name),
                last_name: Set(fields.last_name),
                email: Set(fields.email),
                phone: Set(fields.phone),
                company: Set(fields.company),
                title: Set(fields.title),
                website: Set(fields.website),
                address: Set(fields.address),
                source: Set(fields.source),
                owner_id: Set(row.owner_id),
                pipeline_id: Set(placed.pipeline_id),
                stage_id: Set(placed.stage_id),
                status: Set(kind.as_str().to_owned()),
                lost_reason: Set((kind == crate::model::StageKind::Lost).then(|| "demo".to_owned())),
                stage_entered_at: Set(now),
                value_amount: Set(fields.value_amount),
                currency: Set(fields.currency),
                tags: Set(serde_json::to_string(&fields.tags).unwrap_or_else(|_| "[]".into())),
                score: Set(fields.score),
                utm_source: Set(utm_source),
                utm_medium: Set(utm_medium),
                utm_campaign: Set(utm_campaign),
                utm_term: Set(utm_term),
                utm_content: Set(utm_content),
                notes: Set(fields.notes),
                search: Set(search),
                customer_id: Set(None),
                created_by: Set(created_by),
                created_at: Set(now),
                updated_at: Set(now),
                converted_at: Set(None),
                version: Set(1),
            }
        })
        .collect();
    lead::Entity::insert_many(models).exec_without_returning(txn).await?;
    let tag_rows: Vec<crate::model::lead_tag::ActiveModel> = tags
        .iter()
        .flat_map(|(id, tags)| {
            tags.iter().map(move |tag| crate::model::lead_tag::ActiveModel {
                lead_id: Set(*id),
                tag: Set(tag.clone()),
                organization_id: Set(organization_id),
            })
        })
        .collect();
    for chunk in tag_rows.chunks(2000) {
        crate::model::lead_tag::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    let (action, entity_type, entity_id) = audit;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), action, entity_type, entity_id)
            .changes(Changes::new().set("created", None::<()>, &ids)),
    )
    .await?;
    Ok(ids)
}

/// The row's non-empty values over the lead's; tags united.
fn filled(existing: &LeadFields, row: &LeadFields) -> LeadFields {
    let mut out = existing.clone();
    macro_rules! fill {
        ($($field:ident),+) => { $( if row.$field.is_some() { out.$field = row.$field.clone(); } )+ };
    }
    fill!(email, phone, company, title, website, address, value_amount, currency, notes);
    if !row.first_name.is_empty() {
        out.first_name = row.first_name.clone();
    }
    if !row.last_name.is_empty() {
        out.last_name = row.last_name.clone();
    }
    if row.score != 0 {
        out.score = row.score;
    }
    for (index, value) in row.utm.iter().enumerate() {
        if value.is_some() {
            out.utm[index] = value.clone();
        }
    }
    for tag in &row.tags {
        if !out.tags.contains(tag) && out.tags.len() < MAX_TAGS {
            out.tags.push(tag.clone());
        }
    }
    out
}

/// A valid row on its way into the database.
struct Pending {
    fields: LeadFields,
    owner_id: Option<Uuid>,
    keys: Vec<String>,
}

/// Writes an import waiting in `importing`, batch by batch, resuming after the rows already
/// done; completes it with its counts and the `leads.imported` event.
///
/// # Errors
/// [`RunError`]; on [`RunError::Failed`] the import is already marked failed.
pub async fn import_commit(
    db: &DatabaseConnection,
    acting: Acting<'_>,
    id: Uuid,
    settings: &LeadsSettings,
    progress: Progress<'_>,
) -> Result<ImportReport, RunError> {
    let result = commit_inner(db, acting, id, settings, progress).await;
    if let Err(RunError::Failed(reason)) = &result {
        mark_failed(db, id, reason).await?;
    }
    result
}

async fn commit_inner(
    db: &DatabaseConnection,
    acting: Acting<'_>,
    id: Uuid,
    settings: &LeadsSettings,
    progress: Progress<'_>,
) -> Result<ImportReport, RunError> {
    let prepared = prepare(db, id, status::IMPORTING).await?;
    let organization_id = prepared.model.organization_id;
    let created_by = prepared.model.created_by;
    let region = settings.default_phone_region.as_str();
    let mut report: ImportReport =
        prepared.model.report.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
    let total = Ord::max(prepared.model.rows_total, 0) as u64;
    let resume_after = Ord::max(prepared.model.rows_done, 0) as u64;
    let txn = db.begin().await?;
    let start = start_stage(&txn, acting, organization_id).await?;
    txn.commit().await?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut batch: Vec<Pending> = Vec::with_capacity(BATCH);
    let mut done = 0_u64;
    for (row, record) in prepared.file.records() {
        done += 1;
        if done <= resume_after {
            // Rows of batches committed before a restart: only their keys matter now, and
            // the database already holds them.
            continue;
        }
        let Ok(record) = record else {
            report.skipped += 1;
            continue;
        };
        let outcome = read_row(row, &record, &prepared.columns, &prepared.currency, region);
        let owner = match &outcome.owner_email {
            Some(email) => match prepared.members.get(email) {
                Some(owner) => Some(*owner),
                None => {
                    report.skipped += 1;
                    continue;
                }
            },
            None => None,
        };
        let Some(fields) = outcome.fields else {
            report.skipped += 1;
            continue;
        };
        let row_keys = keys(&fields);
        let repeated = row_keys.iter().any(|key| seen.contains(key));
        seen.extend(row_keys.iter().cloned());
        if repeated && prepared.on_duplicate == OnDuplicate::Skip {
            report.skipped += 1;
            continue;
        }
        if repeated && prepared.on_duplicate == OnDuplicate::Update {
            // An earlier row of this batch: merge into it; of an earlier batch: it is in the
            // database now and the batch finds it there.
            if let Some(earlier) =
                batch.iter_mut().find(|pending| pending.keys.iter().any(|key| row_keys.contains(key)))
            {
                earlier.fields = filled(&earlier.fields, &fields);
                report.updated += 1;
                continue;
            }
        }
        batch.push(Pending { fields, owner_id: owner, keys: row_keys });
        if batch.len() >= BATCH {
            write_batch(
                db,
                acting,
                &prepared,
                start,
                created_by,
                std::mem::take(&mut batch),
                done,
                &mut report,
            )
            .await?;
            progress(done, total);
        }
    }
    write_batch(db, acting, &prepared, start, created_by, std::mem::take(&mut batch), done, &mut report)
        .await?;
    let txn = db.begin().await?;
    lead_import::Entity::update_many()
        .col_expr(lead_import::Column::Status, Expr::val(status::COMPLETED))
        .col_expr(lead_import::Column::Content, Expr::val(None::<Vec<u8>>))
        .col_expr(lead_import::Column::RowsDone, Expr::val(done as i64))
        .col_expr(lead_import::Column::Report, Expr::val(serde_json::to_string(&report).unwrap_or_default()))
        .col_expr(lead_import::Column::UpdatedAt, Expr::val(Utc::now()))
        .col_expr(lead_import::Column::FinishedAt, Expr::val(Utc::now()))
        .filter(lead_import::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let imported = LeadsImported {
        import_id: id,
        created: report.created as i64,
        updated: report.updated as i64,
        skipped: report.skipped as i64,
    };
    baseops_jobs::emit(&txn, acting, Some(organization_id), &imported).await?;
    let changes = Changes::new()
        .set("status", status::IMPORTING, status::COMPLETED)
        .set("created", None::<()>, report.created)
        .set("updated", None::<()>, report.updated)
        .set("skipped", None::<()>, report.skipped);
    record(
        &txn,
        AuditEntry::new(acting, Some(organization_id), "lead_import.complete", "lead_import", id)
            .changes(changes),
    )
    .await?;
    txn.commit().await?;
    progress(done, Ord::max(total, done));
    Ok(report)
}

/// One batch in one transaction: duplicates against the database, inserts, updates, the
/// import's progress and counts, one audit record.
#[allow(clippy::too_many_arguments)]
async fn write_batch(
    db: &DatabaseConnection,
    acting: Acting<'_>,
    prepared: &Prepared,
    start: StartStage,
    created_by: Option<Uuid>,
    batch: Vec<Pending>,
    done: u64,
    report: &mut ImportReport,
) -> Result<(), RunError> {
    let organization_id = prepared.model.organization_id;
    let txn = db.begin().await?;
    let (emails, phones) = split_keys(batch.iter().flat_map(|pending| pending.keys.iter()));
    let mut found = if prepared.on_duplicate == OnDuplicate::Create {
        HashMap::new()
    } else {
        existing(&txn, organization_id, emails, phones).await?
    };
    let mut inserts = Vec::new();
    let mut updated_ids = Vec::new();
    let mut rules = RuleRotation::load(&txn, organization_id).await?;
    for pending in batch {
        let matched = pending.keys.iter().find_map(|key| found.get(key)).cloned();
        match (matched, prepared.on_duplicate) {
            (Some(_), OnDuplicate::Skip) => report.skipped += 1,
            (Some(lead), _) => {
                let before = LeadFields::from(&lead);
                let after = filled(&before, &pending.fields);
                let (columns, changes) = diff(&before, &after);
                if !changes.is_empty() {
                    write(&txn, &lead, columns, Utc::now()).await.map_err(|error| match error {
                        ApiError::Internal(cause) => RunError::Db(DbErr::Custom(cause.to_string())),
                        // Changed by someone meanwhile: leave it to them.
                        _ => RunError::Db(DbErr::Custom("a lead changed during the import".into())),
                    })?;
                    if before.tags != after.tags {
                        crate::model::lead_tag::Entity::delete_many()
                            .filter(crate::model::lead_tag::Column::LeadId.eq(lead.id))
                            .exec(&txn)
                            .await?;
                        insert_tags(&txn, organization_id, lead.id, &after.tags).await?;
                    }
                    // Later rows matching the same lead see this version.
                    let mut newer = lead.clone();
                    newer.version += 1;
                    for key in &pending.keys {
                        found.insert(key.clone(), newer.clone());
                    }
                }
                updated_ids.push(lead.id);
                report.updated += 1;
            }
            (None, _) => {
                let owner_id = match pending.owner_id {
                    Some(owner) => Some(owner),
                    None => rules.next(&pending.fields.source).or(created_by),
                };
                inserts.push(SeedRow { fields: pending.fields, owner_id, stage: None });
            }
        }
    }
    rules.save(&txn).await?;
    let created = inserts.len() as u64;
    let mut created_ids = Vec::new();
    for chunk in inserts.chunks(BATCH) {
        created_ids.extend(
            leads_insert_many(
                &txn,
                acting,
                organization_id,
                start,
                created_by,
                chunk.to_vec(),
                ("lead.import_batch", "lead_import", prepared.model.id),
                Utc::now(),
            )
            .await?,
        );
    }
    report.created += created;
    if created_ids.is_empty() && !updated_ids.is_empty() {
        record(
            &txn,
            AuditEntry::new(
                acting,
                Some(organization_id),
                "lead.import_batch",
                "lead_import",
                prepared.model.id,
            )
            .changes(Changes::new().set("updated", None::<()>, &updated_ids)),
        )
        .await?;
    }
    lead_import::Entity::update_many()
        .col_expr(lead_import::Column::RowsDone, Expr::val(done as i64))
        .col_expr(lead_import::Column::Report, Expr::val(serde_json::to_string(&report).unwrap_or_default()))
        .col_expr(lead_import::Column::UpdatedAt, Expr::val(Utc::now()))
        .filter(lead_import::Column::Id.eq(prepared.model.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The assignment rules for a batch: rotations advanced in memory, written back once.
struct RuleRotation {
    rules: Vec<(crate::model::assignment_rule::Model, Vec<Uuid>, i64)>,
}

impl RuleRotation {
    async fn load(txn: &impl ConnectionTrait, organization_id: Uuid) -> Result<Self, DbErr> {
        use crate::model::assignment_rule;
        let rules = assignment_rule::Entity::find()
            .filter(assignment_rule::Column::OrganizationId.eq(organization_id))
            .filter(assignment_rule::Column::Active.eq(true))
            .order_by_asc(assignment_rule::Column::Position)
            .all(txn)
            .await?
            .into_iter()
            .map(|rule| {
                let members: Vec<Uuid> = serde_json::from_str(&rule.member_ids).unwrap_or_default();
                (rule, members, 0)
            })
            .collect();
        Ok(Self { rules })
    }

    fn next(&mut self, source: &str) -> Option<Uuid> {
        let (rule, members, used) = self.rules.iter_mut().find(|(rule, members, _)| {
            !members.is_empty() && rule.source.as_deref().is_none_or(|wanted| wanted == source)
        })?;
        let index = (rule.next_index + *used).rem_euclid(members.len() as i64) as usize;
        *used += 1;
        Some(members[index])
    }

    async fn save(&self, txn: &impl ConnectionTrait) -> Result<(), DbErr> {
        use crate::model::assignment_rule;
        for (rule, _, used) in self.rules.iter().filter(|(_, _, used)| *used > 0) {
            let advance = Query::update()
                .table(assignment_rule::Entity)
                .value(
                    assignment_rule::Column::NextIndex,
                    Expr::col(assignment_rule::Column::NextIndex).add(*used),
                )
                .and_where(Expr::col(assignment_rule::Column::Id).eq(rule.id))
                .to_owned();
            txn.execute(&advance).await?;
        }
        Ok(())
    }
}
