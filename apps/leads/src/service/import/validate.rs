//! Validating an import: every row is read and checked, duplicates are counted (within the
//! file and against the organization's leads), and the report is stored. Nothing is written
//! to the leads.

use std::collections::HashSet;

use baseops_config::LeadsSettings;
use baseops_core::Directory;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::duplicates::{count_existing, keys};
use super::run::{Progress, RunError, mark_failed, prepare, set_progress};
use super::{BATCH, ImportReport, MAX_PROBLEMS, status};
use crate::import::read_row;
use crate::import::row::RowProblem;
use crate::model::lead_import;

/// Validates every row of an import waiting in `validating`, storing its report and
/// moving it to `validated` (or `failed` when the file can't be read).
///
/// # Errors
/// [`RunError`]; on [`RunError::Failed`] the import is already marked failed.
pub async fn import_validate(
    db: &DatabaseConnection,
    directory: &dyn Directory,
    id: Uuid,
    settings: &LeadsSettings,
    progress: Progress<'_>,
) -> Result<ImportReport, RunError> {
    let result = validate_inner(db, directory, id, settings, progress).await;
    if let Err(RunError::Failed(reason)) = &result {
        mark_failed(db, id, reason).await?;
    }
    result
}

async fn validate_inner(
    db: &DatabaseConnection,
    directory: &dyn Directory,
    id: Uuid,
    settings: &LeadsSettings,
    progress: Progress<'_>,
) -> Result<ImportReport, RunError> {
    let prepared = prepare(db, directory, id, status::VALIDATING).await?;
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
            && !prepared.owners.contains_key(owner)
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
