//! A task's link to a record of another app (`related_type` / `related_id`: a lead): the
//! record's owner hears of every change to the link in the task's transaction — so a lead's
//! timeline lists its tasks — and a merge of such records points the tasks at the survivor.
//! The owners are found through `baseops_core::Links`; this app depends on none of them.

use async_trait::async_trait;
use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, LinkChange, LinkEvent, LinkSource, Links};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::model::task;

/// The source kind tasks report as.
pub const KIND: &str = "task";

/// Most tasks one merge repoints (a merge is rare; a record with more tasks is repointed in
/// several merges' worth of statements, all in the one transaction).
const RETARGET_BATCH: u64 = 500;

/// Reports what a write did to a task's link: `before` is the task before it (none for a new
/// task), `after` the task after it (none once deleted). A new link to a record its owner
/// does not know is refused with 422 on `related_id` when `strict`; a recurring task's next
/// occurrence is not strict, as its lead may have gone since.
///
/// # Errors
/// 422 as above; database errors.
pub(crate) async fn report(
    txn: &DatabaseTransaction,
    links: &Links,
    acting: Acting<'_>,
    before: Option<&task::Model>,
    after: Option<&task::Model>,
    strict: bool,
) -> Result<(), ApiError> {
    let target = |task: Option<&task::Model>| -> Option<Target> {
        task.and_then(|task| Some((task.related_type.clone()?, task.related_id?, task.organization_id)))
    };
    let (old, new) = (target(before), target(after));
    if old == new {
        if let (Some(before), Some(after), Some(link)) = (before, after, &new)
            && before.status != after.status
        {
            tell(txn, links, acting, after, link, LinkChange::Status(&after.status)).await.or_else(gone)?;
        }
        return Ok(());
    }
    if let (Some(before), Some(link)) = (before, &old) {
        tell(txn, links, acting, before, link, LinkChange::Unlinked).await.or_else(gone)?;
    }
    if let (Some(after), Some(link)) = (after, &new) {
        return match tell(txn, links, acting, after, link, LinkChange::Linked).await {
            Err(ApiError::NotFound) if strict => {
                Err(ApiError::invalid("related_id", format!("is not a {} of this organization", link.0)))
            }
            other => other.or_else(gone),
        };
    }
    Ok(())
}

/// The related record of a task: its kind, id and organization.
type Target = (String, Uuid, Uuid);

async fn tell(
    txn: &DatabaseTransaction,
    links: &Links,
    acting: Acting<'_>,
    task: &task::Model,
    (kind, id, organization_id): &Target,
    change: LinkChange<'_>,
) -> Result<(), ApiError> {
    let event = LinkEvent {
        acting,
        organization_id: *organization_id,
        target_kind: kind,
        target_id: *id,
        source_kind: KIND,
        source_id: task.id,
        title: &task.title,
        change,
    };
    links.record(txn, &event).await.map(|_| ())
}

/// A record that is gone is nothing to tell.
fn gone(error: ApiError) -> Result<(), ApiError> {
    match error {
        ApiError::NotFound => Ok(()),
        other => Err(other),
    }
}

/// The tasks app as a link source: a merge of leads points their tasks at the survivor.
#[derive(Debug, Clone, Copy, Default)]
pub struct TaskLinks;

#[async_trait]
impl LinkSource for TaskLinks {
    async fn retarget(
        &self,
        txn: &DatabaseTransaction,
        acting: Acting<'_>,
        organization_id: Uuid,
        kind: &str,
        from: Uuid,
        to: Uuid,
    ) -> Result<u64, ApiError> {
        let mut moved = 0;
        loop {
            let ids: Vec<Uuid> = task::Entity::find()
                .select_only()
                .column(task::Column::Id)
                .filter(task::Column::OrganizationId.eq(organization_id))
                .filter(task::Column::RelatedType.eq(kind))
                .filter(task::Column::RelatedId.eq(from))
                .limit(RETARGET_BATCH)
                .into_tuple()
                .all(txn)
                .await?;
            if ids.is_empty() {
                return Ok(moved);
            }
            task::Entity::update_many()
                .col_expr(task::Column::RelatedId, Expr::value(to))
                .col_expr(task::Column::Version, Expr::col(task::Column::Version).add(1))
                .col_expr(task::Column::UpdatedAt, Expr::value(crate::service::now()))
                .filter(task::Column::Id.is_in(ids.iter().copied()))
                .exec(txn)
                .await?;
            for id in &ids {
                let changes = Changes::new().set("related_id", from, to);
                record(
                    txn,
                    AuditEntry::new(acting, Some(organization_id), "task.relink", "task", *id)
                        .changes(changes),
                )
                .await?;
            }
            moved += ids.len() as u64;
        }
    }
}
