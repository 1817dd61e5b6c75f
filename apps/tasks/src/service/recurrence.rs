//! Recurring series: starting, changing and stopping one, and creating its next occurrence.
//!
//! A series row remembers its rule, its latest occurrence (`last_seq`, `latest_task_id`) and
//! when the next is due. The next occurrence is created by a job — when the latest one is
//! completed, or by the hourly schedule a day before it is due, whichever comes first — with
//! a compare-and-set on `last_seq`, and `(recurrence_id, recurrence_seq)` is unique: however
//! often the jobs run, each place in the series gets exactly one task.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::TasksSettings;
use baseops_core::{Acting, ApiError, Links};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use crate::Caller;
use crate::event::{TaskAssigned, TaskCreated};
use crate::model::{task, task_assignee, task_label, task_recurrence, task_watcher};
use crate::recurrence::RecurrenceRule;
use crate::workflow::TODO;

/// Starts, changes (`Some`) or stops (`None`) the recurrence of `task`, recording the change.
pub(crate) async fn set_rule(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    task: &mut task::Model,
    rule: Option<&RecurrenceRule>,
    audit: &mut Changes,
) -> Result<(), ApiError> {
    let series = match task.recurrence_id {
        Some(series_id) => task_recurrence::Entity::find_by_id(series_id).one(txn).await?,
        None => None,
    };
    let before: Option<RecurrenceRule> = series
        .as_ref()
        .filter(|series| series.active)
        .and_then(|series| serde_json::from_str(&series.rule).ok());
    if before.as_ref() == rule {
        return Ok(());
    }
    match (series, rule) {
        (Some(series), Some(rule)) => {
            let mut active = series.into_active_model();
            active.rule = Set(serde_json::to_string(rule).map_err(ApiError::internal)?);
            active.active = Set(true);
            if let Some(due_at) = task.due_at {
                active.next_due_at = Set(rule.next_after(due_at));
            }
            sea_orm::ActiveModelTrait::update(active, txn).await?;
        }
        (Some(series), None) => {
            let mut active = series.into_active_model();
            active.active = Set(false);
            sea_orm::ActiveModelTrait::update(active, txn).await?;
        }
        (None, Some(rule)) => {
            let due_at = task
                .due_at
                .ok_or_else(|| ApiError::invalid("recurrence", "a recurring task needs due_at"))?;
            let series_id = Uuid::now_v7();
            task_recurrence::Entity::insert(task_recurrence::ActiveModel {
                id: Set(series_id),
                organization_id: Set(caller.organization_id()),
                rule: Set(serde_json::to_string(rule).map_err(ApiError::internal)?),
                latest_task_id: Set(task.id),
                last_seq: Set(1),
                next_due_at: Set(rule.next_after(due_at)),
                active: Set(true),
                created_at: Set(Utc::now()),
            })
            .exec_without_returning(txn)
            .await?;
            task.recurrence_id = Some(series_id);
            task.recurrence_seq = Some(1);
        }
        (None, None) => return Ok(()),
    }
    *audit = std::mem::take(audit).set("recurrence", &before, rule);
    Ok(())
}

/// Creates the occurrence after number `after_seq` of a series — if the series is active and
/// still at `after_seq` — and returns it. A copy of the latest occurrence (title,
/// description, priority, estimate, related record, assignees, watchers, labels) in the first
/// stage, due at the series' next date.
///
/// # Errors
/// Database errors.
pub async fn occurrence_create_next(
    txn: &DatabaseTransaction,
    links: &Links,
    acting: Acting<'_>,
    settings: &TasksSettings,
    series_id: Uuid,
    after_seq: i32,
) -> Result<Option<task::Model>, ApiError> {
    let Some(series) = task_recurrence::Entity::find_by_id(series_id).one(txn).await? else {
        return Ok(None);
    };
    if !series.active || series.last_seq != after_seq {
        return Ok(None);
    }
    let Ok(rule) = serde_json::from_str::<RecurrenceRule>(&series.rule) else {
        return Err(ApiError::internal(DbErr::Json(format!(
            "recurrence {series_id}: the rule does not parse"
        ))));
    };
    let Some(latest) = task::Entity::find_by_id(series.latest_task_id).one(txn).await? else {
        return Ok(None);
    };
    let id = Uuid::now_v7();
    let claimed = task_recurrence::Entity::update_many()
        .col_expr(task_recurrence::Column::LastSeq, Expr::value(after_seq + 1))
        .col_expr(task_recurrence::Column::LatestTaskId, Expr::value(id))
        .col_expr(task_recurrence::Column::NextDueAt, Expr::value(rule.next_after(series.next_due_at)))
        .filter(task_recurrence::Column::Id.eq(series_id))
        .filter(task_recurrence::Column::LastSeq.eq(after_seq))
        .exec(txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None);
    }
    let now = super::now();
    let next = task::Model {
        id,
        status: TODO.to_owned(),
        due_at: Some(series.next_due_at),
        parent_id: None,
        recurrence_seq: Some(after_seq + 1),
        overdue_notified_for: None,
        created_at: now,
        updated_at: now,
        completed_at: None,
        version: 1,
        ..latest.clone()
    };
    task::Entity::insert(next.clone().into_active_model()).exec_without_returning(txn).await?;
    super::words::insert_words(txn, next.organization_id, &[(id, &next.title)]).await?;
    crate::link::report(txn, links, acting, None, Some(&next), false).await?;
    let assignees: Vec<Uuid> = task_assignee::Entity::find()
        .filter(task_assignee::Column::TaskId.eq(latest.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| row.user_id)
        .collect();
    let watchers: Vec<Uuid> = task_watcher::Entity::find()
        .filter(task_watcher::Column::TaskId.eq(latest.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| row.user_id)
        .collect();
    let labels = task_label::Entity::find().filter(task_label::Column::TaskId.eq(latest.id)).all(txn).await?;
    if !assignees.is_empty() {
        let rows =
            assignees.iter().map(|user| task_assignee::ActiveModel { task_id: Set(id), user_id: Set(*user) });
        task_assignee::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    if !watchers.is_empty() {
        let rows =
            watchers.iter().map(|user| task_watcher::ActiveModel { task_id: Set(id), user_id: Set(*user) });
        task_watcher::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    if !labels.is_empty() {
        let rows = labels.into_iter().map(|label| task_label::ActiveModel {
            task_id: Set(id),
            label: Set(label.label),
            organization_id: Set(label.organization_id),
        });
        task_label::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    let org = Some(next.organization_id);
    let changes = Changes::new()
        .set("title", None::<()>, &next.title)
        .set("due_at", None::<()>, next.due_at)
        .set("recurrence_id", None::<()>, series_id)
        .set("recurrence_seq", None::<()>, after_seq + 1);
    record(txn, AuditEntry::new(acting, org, "task.create", "task", id).changes(changes)).await?;
    let created = TaskCreated { task_id: id, title: next.title.clone(), by: None, watchers };
    baseops_jobs::emit(txn, acting, org, &created).await?;
    if !assignees.is_empty() {
        let assigned = TaskAssigned { task_id: id, title: next.title.clone(), by: None, assigned: assignees };
        baseops_jobs::emit(txn, acting, org, &assigned).await?;
    }
    super::schedule_reminder(txn, acting, &next, super::reminder_lead(settings)).await?;
    Ok(Some(next))
}
