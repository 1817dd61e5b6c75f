//! CSV import, the database side: an upload becomes a `lead_imports` row holding the file;
//! validation reads every row, de-duplicates (within the file and against the
//! organization's leads, by e-mail and by normalized phone) and stores a report; committing
//! writes the rows in batches of [`BATCH`], each batch one transaction with its progress and
//! one audit record, so a large import runs as a background job that can resume where it
//! stopped. The API polls the row; the CLI drives the same functions with a progress bar.
//!
//! One step per file: [`create`] (upload), [`configure`] (a new mapping), [`validate`],
//! [`start`] and [`commit`] (one transaction per batch, `batch.rs`); `run.rs` holds what
//! validation and commit share, `duplicates.rs` how rows are matched with leads. New leads'
//! owners come from the `owner_email` column or the assignment rules
//! ([`crate::service::assignment`]).

mod batch;
pub mod commit;
pub mod configure;
pub mod create;
mod duplicates;
mod run;
pub mod start;
pub mod validate;

use baseops_core::{Acting, ApiError};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::import::Mapping;
use crate::import::row::RowProblem;
use crate::model::lead_import;

pub use commit::import_commit;
pub use configure::import_configure;
pub use create::import_create;
pub use run::{Progress, RunError};
pub use start::import_start;
pub use validate::import_validate;

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

/// Enqueues an import's next job in the caller's transaction, so it exists if and only if
/// the change that needs it commits.
pub(super) async fn enqueue<J: baseops_jobs::Job>(
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
