//! One batch of an import's commit, in one transaction: the rows are matched with existing
//! leads, matches are skipped or filled in, the rest inserted with their owners, and the
//! import's progress and counts written — so a batch is imported entirely or not at all.

use std::collections::HashMap;

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use super::duplicates::{existing, filled, split_keys};
use super::run::{Prepared, RunError};
use super::{BATCH, ImportReport, OnDuplicate};
use crate::model::lead_import;
use crate::service::assignment::next_owners;
use crate::service::lead::update::diff;
use crate::service::lead::{SeedRow, StartStage, leads_insert_many, replace_tags, write};
use crate::service::lead_input::LeadFields;

/// A valid row on its way into the database.
pub(super) struct Pending {
    /// Its fields.
    pub fields: LeadFields,
    /// The owner its `owner_email` names.
    pub owner_id: Option<Uuid>,
    /// What it is de-duplicated by.
    pub keys: Vec<String>,
}

/// One batch in one transaction: duplicates against the database, inserts, updates, the
/// import's progress and counts, one audit record.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write_batch(
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
                        replace_tags(&txn, organization_id, lead.id, &after.tags).await?;
                    }
                    crate::service::lead::words::replace_words(
                        &txn,
                        organization_id,
                        lead.id,
                        &before,
                        &after,
                    )
                    .await?;
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
                inserts.push(SeedRow { fields: pending.fields, owner_id: pending.owner_id, stage: None })
            }
        }
    }
    assign_owners(&txn, organization_id, created_by, &mut inserts).await?;
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

/// Gives the new leads without an owner theirs: the assignment rules' next members in turn
/// (one rotation step per lead, as creating them one by one would), else the importer.
async fn assign_owners(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    importer: Option<Uuid>,
    inserts: &mut [SeedRow],
) -> Result<(), DbErr> {
    let unowned: Vec<usize> = (0..inserts.len()).filter(|index| inserts[*index].owner_id.is_none()).collect();
    let sources: Vec<&str> = unowned.iter().map(|index| inserts[*index].fields.source.as_str()).collect();
    let owners = next_owners(txn, organization_id, &sources).await?;
    for (index, owner) in unowned.into_iter().zip(owners) {
        inserts[index].owner_id = owner.or(importer);
    }
    Ok(())
}
