//! Committing an import: its valid rows become leads in batches of [`BATCH`] (each batch
//! one transaction, `batch.rs`), resuming after the last committed batch when run
//! again; then the import completes with its counts and the `leads.imported` event.

use std::collections::HashSet;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::LeadsSettings;
use baseops_core::{Acting, Directory};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use super::batch::{Pending, write_batch};
use super::duplicates::{filled, keys};
use super::run::{Progress, RunError, mark_failed, prepare};
use super::{BATCH, ImportReport, OnDuplicate, status};
use crate::event::LeadsImported;
use crate::import::read_row;
use crate::model::lead_import;
use crate::service::lead::start_stage;

/// Writes an import waiting in `importing`, batch by batch, resuming after the rows already
/// done; completes it with its counts and the `leads.imported` event.
///
/// # Errors
/// [`RunError`]; on [`RunError::Failed`] the import is already marked failed.
pub async fn import_commit(
    db: &DatabaseConnection,
    directory: &dyn Directory,
    acting: Acting<'_>,
    id: Uuid,
    settings: &LeadsSettings,
    progress: Progress<'_>,
) -> Result<ImportReport, RunError> {
    let result = commit_inner(db, directory, acting, id, settings, progress).await;
    if let Err(RunError::Failed(reason)) = &result {
        mark_failed(db, id, reason).await?;
    }
    result
}

async fn commit_inner(
    db: &DatabaseConnection,
    directory: &dyn Directory,
    acting: Acting<'_>,
    id: Uuid,
    settings: &LeadsSettings,
    progress: Progress<'_>,
) -> Result<ImportReport, RunError> {
    let prepared = prepare(db, directory, id, status::IMPORTING).await?;
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
            Some(email) => match prepared.owners.get(email) {
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
