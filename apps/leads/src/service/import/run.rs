//! What a validation run and a commit run share: loading the stored import (its file,
//! columns, the organization's currency and the owners its `owner_email` column names),
//! progress on the row, and failing it for good.

use std::collections::{BTreeSet, HashMap};

use baseops_core::Directory;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{OnDuplicate, status};
use crate::import::mapping::columns;
use crate::import::row::owner_email;
use crate::import::{CsvFile, ImportField, Mapping};
use crate::model::lead_import;
use crate::service::directory::{members_by_email, organization_currency};

/// Longest failure reason kept.
const MAX_ERROR_LEN: usize = 1000;

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

/// Marks an import failed for good, dropping its file.
pub(super) async fn mark_failed(db: &DatabaseConnection, id: Uuid, reason: &str) -> Result<(), DbErr> {
    lead_import::Entity::update_many()
        .col_expr(lead_import::Column::Status, Expr::val(status::FAILED))
        .col_expr(
            lead_import::Column::Error,
            Expr::val(reason.chars().take(MAX_ERROR_LEN).collect::<String>()),
        )
        .col_expr(lead_import::Column::Content, Expr::val(None::<Vec<u8>>))
        .col_expr(lead_import::Column::UpdatedAt, Expr::val(Utc::now()))
        .col_expr(lead_import::Column::FinishedAt, Expr::val(Utc::now()))
        .filter(lead_import::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records how far a run got (and, once known, how many rows there are).
pub(super) async fn set_progress(
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

/// Everything a run needs from the stored import.
pub(super) struct Prepared {
    pub model: lead_import::Model,
    pub file: CsvFile,
    pub columns: Vec<ImportField>,
    pub on_duplicate: OnDuplicate,
    /// The organization's currency: values without a currency column are in it.
    pub currency: String,
    /// The members the `owner_email` column names, by lower-case address; an address not
    /// here is not a member.
    pub owners: HashMap<String, Uuid>,
}

/// Loads an import waiting in `wanted`.
pub(super) async fn prepare(
    db: &DatabaseConnection,
    directory: &dyn Directory,
    id: Uuid,
    wanted: &str,
) -> Result<Prepared, RunError> {
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
    let currency = organization_currency(db, directory, model.organization_id).await?;
    let owners = owners_named(db, directory, model.organization_id, &file, &columns).await?;
    let on_duplicate = OnDuplicate::parse(&model.on_duplicate);
    Ok(Prepared { model, file, columns, on_duplicate, currency, owners })
}

/// The members among the addresses the file's `owner_email` column names. One pass over
/// the file collects them, so the directory is asked a few statements in all rather than
/// once per row — and only when a column is mapped to `owner_email`.
async fn owners_named(
    db: &DatabaseConnection,
    directory: &dyn Directory,
    organization_id: Uuid,
    file: &CsvFile,
    columns: &[ImportField],
) -> Result<HashMap<String, Uuid>, DbErr> {
    if !columns.contains(&ImportField::OwnerEmail) {
        return Ok(HashMap::new());
    }
    let emails: BTreeSet<String> = file
        .records()
        .filter_map(|(_, record)| record.ok())
        .filter_map(|record| owner_email(&record, columns))
        .collect();
    let emails: Vec<String> = emails.into_iter().collect();
    members_by_email(db, directory, organization_id, &emails).await
}
