//! Changing and deleting a task, and the pieces creation and bulk changes share: the
//! membership, parent and assignment checks, the relation writers, the versioned save.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::TasksSettings;
use baseops_core::{ApiError, FieldErrors, Links, Scope};
use baseops_jobs::Enqueue;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::input::{joined, recurrence_needs_due, related};
use super::{CheckedTaskChanges, TaskEdits, TaskPlacement, acting_user, non_members, reminder_lead, within};
use crate::Caller;
use crate::event::{TaskAssigned, TaskStatusChanged};
use crate::job::CreateNextOccurrence;
use crate::model::{task, task_assignee, task_label, task_recurrence, task_watcher};
use crate::selector::{assignees_of, visible_task, watchers_of, workflow_of};
use crate::workflow::{DONE, Workflow};

/// The permission scopes a change is made with.
#[derive(Debug, Clone, Copy)]
pub struct Grants {
    /// `tasks.create` or `tasks.edit`, as the operation needs.
    pub act: Scope,
    /// `tasks.assign`, if held.
    pub assign: Option<Scope>,
}

/// 403 unless the caller may change the assignees from `before` to `after`: changing
/// anyone but yourself needs `tasks.assign` (own scope: on own tasks).
pub(super) fn check_assign(
    caller: &Caller<'_>,
    grants: Grants,
    own: bool,
    before: &[Uuid],
    after: &[Uuid],
) -> Result<(), ApiError> {
    let others_changed = before
        .iter()
        .filter(|user| !after.contains(user))
        .chain(after.iter().filter(|user| !before.contains(user)))
        .any(|user| *user != caller.user_id());
    if !others_changed {
        return Ok(());
    }
    match grants.assign {
        Some(scope) => within(scope, own),
        None => Err(ApiError::Refused {
            code: "assign_forbidden",
            detail: "Assigning other people needs the tasks.assign permission.".into(),
        }),
    }
}

pub(super) async fn check_members(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    field: &str,
    users: &[Uuid],
    errors: &mut FieldErrors,
) -> Result<(), DbErr> {
    for user in non_members(txn, &*caller.directory, caller.organization_id(), users).await? {
        errors.add(field, format!("{user} is not a member of this organization"));
    }
    Ok(())
}

/// 422 unless `parent_id` is a task the caller sees that is not itself a sub-task (and,
/// for an existing task, not the task itself nor one with sub-tasks of its own).
pub(super) async fn check_parent(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    parent_id: Uuid,
    task_id: Option<Uuid>,
    errors: &mut FieldErrors,
) -> Result<(), ApiError> {
    if Some(parent_id) == task_id {
        errors.add("parent_id", "a task cannot be its own parent");
        return Ok(());
    }
    match visible_task(txn, caller, parent_id).await {
        Ok((parent, _)) if parent.parent_id.is_some() => {
            errors.add("parent_id", "is a sub-task itself; sub-tasks go one level deep");
        }
        Ok(_) => {}
        Err(ApiError::NotFound) => {
            errors.add("parent_id", "no such task");
        }
        Err(other) => return Err(other),
    }
    if let Some(task_id) = task_id {
        let children = task::Entity::find().filter(task::Column::ParentId.eq(task_id)).count(txn).await?;
        if children > 0 {
            errors.add("parent_id", "this task has sub-tasks, so it cannot become one");
        }
    }
    Ok(())
}

async fn replace_users<E, A>(
    txn: &impl ConnectionTrait,
    users: &[Uuid],
    delete: sea_orm::DeleteMany<E>,
    row: impl Fn(Uuid) -> A,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E>,
{
    delete.exec(txn).await?;
    if !users.is_empty() {
        E::insert_many(users.iter().map(|user| row(*user))).exec_without_returning(txn).await?;
    }
    Ok(())
}

pub(super) async fn set_assignees(
    txn: &impl ConnectionTrait,
    task_id: Uuid,
    users: &[Uuid],
) -> Result<(), DbErr> {
    let delete = task_assignee::Entity::delete_many().filter(task_assignee::Column::TaskId.eq(task_id));
    replace_users(txn, users, delete, |user_id| task_assignee::ActiveModel {
        task_id: Set(task_id),
        user_id: Set(user_id),
    })
    .await
}

pub(super) async fn set_watchers(
    txn: &impl ConnectionTrait,
    task_id: Uuid,
    users: &[Uuid],
) -> Result<(), DbErr> {
    let delete = task_watcher::Entity::delete_many().filter(task_watcher::Column::TaskId.eq(task_id));
    replace_users(txn, users, delete, |user_id| task_watcher::ActiveModel {
        task_id: Set(task_id),
        user_id: Set(user_id),
    })
    .await
}

pub(super) async fn set_labels(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    task_id: Uuid,
    labels: &[String],
) -> Result<(), DbErr> {
    task_label::Entity::delete_many().filter(task_label::Column::TaskId.eq(task_id)).exec(txn).await?;
    if !labels.is_empty() {
        let rows = labels.iter().map(|label| task_label::ActiveModel {
            task_id: Set(task_id),
            label: Set(label.clone()),
            organization_id: Set(organization_id),
        });
        task_label::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Applies `changes` to the task at `expected_version` (the client's `If-Match`): one
/// `UPDATE … WHERE id = ? AND version = ?`, so of two writers with the same version the
/// second gets 412. `changes` were checked at the edge
/// ([`TaskChanges::check`](super::TaskChanges::check)); their problems are reported once the
/// task is found, within the caller's scope and at that version, together with what the
/// stored task and the database refuse.
///
/// # Errors
/// 404 for a task the caller may not see, 403 outside the caller's scope, 412
/// `version_mismatch`, 409 `invalid_transition`, 422 for bad fields; database errors.
#[allow(clippy::too_many_arguments)] // each is a distinct input of the one update
pub async fn task_update(
    txn: &DatabaseTransaction,
    links: &Links,
    caller: &Caller<'_>,
    grants: Grants,
    settings: &TasksSettings,
    id: Uuid,
    expected_version: i32,
    changes: CheckedTaskChanges,
) -> Result<task::Model, ApiError> {
    let (before, assignees_before) = visible_task(txn, caller, id).await?;
    let own = caller.owns(before.created_by, &assignees_before);
    within(grants.act, own)?;
    if before.version != expected_version {
        return Err(ApiError::PreconditionFailed);
    }
    let CheckedTaskChanges { edits, placement } = changes;
    let (workflow, _) = workflow_of(txn, caller.organization_id()).await?;
    let mut after = before.clone();
    let mut found = FieldErrors::new();
    let status = place(txn, caller, &workflow, placement, &before, &mut after, &mut found).await?;
    let TaskEdits { title, description, priority, estimate_minutes, assignees, watchers, labels, recurrence } =
        joined(edits, found)?;
    if let Some(title) = title {
        after.title = title;
    }
    if let Some(description) = description {
        after.description = description;
    }
    if let Some(priority) = priority {
        after.priority = priority.rank();
    }
    if let Some(estimate) = estimate_minutes {
        after.estimate_minutes = estimate;
    }
    let mut errors = FieldErrors::new();
    if let Some(users) = &assignees {
        check_members(txn, caller, "assignees", users, &mut errors).await?;
    }
    if let Some(users) = &watchers {
        check_members(txn, caller, "watchers", users, &mut errors).await?;
    }
    errors.into_result()?;
    if let Some(users) = &assignees {
        check_assign(caller, grants, own, &assignees_before, users)?;
    }
    if let Some(status) = &status {
        move_to(&workflow, &mut after, status)?;
    }

    let mut audit = Changes::new();
    for (field, old, new) in [
        ("title", serde_json::json!(before.title), serde_json::json!(after.title)),
        ("description", serde_json::json!(before.description), serde_json::json!(after.description)),
        ("status", serde_json::json!(before.status), serde_json::json!(after.status)),
        (
            "priority",
            serde_json::json!(crate::Priority::from_rank(before.priority)),
            serde_json::json!(crate::Priority::from_rank(after.priority)),
        ),
        ("due_at", serde_json::json!(before.due_at), serde_json::json!(after.due_at)),
        (
            "estimate_minutes",
            serde_json::json!(before.estimate_minutes),
            serde_json::json!(after.estimate_minutes),
        ),
        ("parent_id", serde_json::json!(before.parent_id), serde_json::json!(after.parent_id)),
        ("related_type", serde_json::json!(before.related_type), serde_json::json!(after.related_type)),
        ("related_id", serde_json::json!(before.related_id), serde_json::json!(after.related_id)),
    ] {
        if old != new {
            audit = audit.set(field, old, new);
        }
    }
    let mut added = Vec::new();
    if let Some(users) = &assignees
        && *users != assignees_before
    {
        added = users.iter().copied().filter(|user| !assignees_before.contains(user)).collect();
        set_assignees(txn, id, users).await?;
        audit = audit.set("assignees", &assignees_before, users);
    }
    if let Some(users) = &watchers {
        let watchers_before = watchers_of(txn, id).await?;
        if *users != watchers_before {
            set_watchers(txn, id, users).await?;
            audit = audit.set("watchers", &watchers_before, users);
        }
    }
    if let Some(labels) = &labels {
        let labels_before =
            crate::selector::summaries(txn, vec![before.clone()]).await?.pop().map(|s| s.labels);
        let labels_before = labels_before.unwrap_or_default();
        if *labels != labels_before {
            set_labels(txn, caller.organization_id(), id, labels).await?;
            audit = audit.set("labels", &labels_before, labels);
        }
    }
    if let Some(recurrence) = &recurrence {
        super::recurrence::set_rule(txn, caller, &mut after, recurrence.as_ref(), &mut audit).await?;
    }
    if audit.is_empty() {
        return Ok(before);
    }
    save(txn, &before, &mut after).await?;
    record(
        txn,
        AuditEntry::new(caller.acting, Some(caller.organization_id()), "task.update", "task", id)
            .changes(audit),
    )
    .await?;
    let assignees_now = assignees.unwrap_or(assignees_before);
    after_change(txn, links, caller, settings, &before, &after, &assignees_now, added).await?;
    Ok(after)
}

/// Applies the changes only the stored task and the database can judge to `after` (a copy of
/// `before`), recording what they refuse in `errors`; returns the stage to move to, which
/// moves once every other check passed.
async fn place(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    workflow: &Workflow,
    placement: TaskPlacement,
    before: &task::Model,
    after: &mut task::Model,
    errors: &mut FieldErrors,
) -> Result<Option<String>, ApiError> {
    let TaskPlacement { status, due_at, parent_id, related_type, related_id, sets_recurrence } = placement;
    if let Some(due_at) = due_at {
        after.due_at = due_at.map(super::micros);
    }
    if let Some(parent_id) = parent_id {
        if let Some(parent_id) = parent_id.filter(|parent| Some(*parent) != before.parent_id) {
            check_parent(txn, caller, parent_id, Some(before.id), errors).await?;
        }
        after.parent_id = parent_id;
    }
    if related_type.is_some() || related_id.is_some() {
        // A body may give one half of the pair and keep the stored other: judged whole.
        after.related_type = related_type.unwrap_or(before.related_type.clone());
        after.related_id = related_id.unwrap_or(before.related_id);
        related(errors, after.related_type.as_deref(), after.related_id);
    }
    if sets_recurrence {
        recurrence_needs_due(errors, after.due_at.is_some());
    }
    if let Some(status) = &status
        && workflow.stage(status).is_none()
    {
        errors.add("status", "is not a stage of this organization's workflow");
    }
    Ok(status)
}

/// Moves `task` to `status` if the workflow allows it, setting or clearing `completed_at`.
pub(super) fn move_to(workflow: &Workflow, task: &mut task::Model, status: &str) -> Result<(), ApiError> {
    if task.status == status {
        return Ok(());
    }
    if !workflow.allows(&task.status, status) {
        let allowed = workflow.allowed_from(&task.status).join(", ");
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            detail: format!("A task cannot move from {} to {status}; allowed: {allowed}.", task.status),
        });
    }
    task.completed_at = if status == DONE { Some(super::now()) } else { None };
    task.status = status.to_owned();
    Ok(())
}

/// Writes `after` if the row is still at `before.version`, bumping the version.
pub(super) async fn save(
    txn: &impl ConnectionTrait,
    before: &task::Model,
    after: &mut task::Model,
) -> Result<(), ApiError> {
    after.version = before.version + 1;
    after.updated_at = super::now();
    let updated = task::Entity::update_many()
        .col_expr(task::Column::Title, Expr::value(after.title.clone()))
        .col_expr(task::Column::Description, Expr::value(after.description.clone()))
        .col_expr(task::Column::Status, Expr::value(after.status.clone()))
        .col_expr(task::Column::Priority, Expr::value(after.priority))
        .col_expr(task::Column::DueAt, Expr::value(after.due_at))
        .col_expr(task::Column::EstimateMinutes, Expr::value(after.estimate_minutes))
        .col_expr(task::Column::ParentId, Expr::value(after.parent_id))
        .col_expr(task::Column::RelatedType, Expr::value(after.related_type.clone()))
        .col_expr(task::Column::RelatedId, Expr::value(after.related_id))
        .col_expr(task::Column::RecurrenceId, Expr::value(after.recurrence_id))
        .col_expr(task::Column::RecurrenceSeq, Expr::value(after.recurrence_seq))
        .col_expr(task::Column::CompletedAt, Expr::value(after.completed_at))
        .col_expr(task::Column::UpdatedAt, Expr::value(after.updated_at))
        .col_expr(task::Column::Version, Expr::value(after.version))
        .filter(task::Column::Id.eq(before.id))
        .filter(task::Column::Version.eq(before.version))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    super::words::replace_words(txn, after.organization_id, after.id, &before.title, &after.title).await?;
    Ok(())
}

/// Events and jobs that follow a saved change: the related record's owner hears of a new
/// link or status, assignment and status events, the next occurrence of a completed
/// recurring task, the reminder for a new due time.
#[allow(clippy::too_many_arguments)] // each is a distinct input of the one follow-up step
pub(super) async fn after_change(
    txn: &DatabaseTransaction,
    links: &Links,
    caller: &Caller<'_>,
    settings: &TasksSettings,
    before: &task::Model,
    after: &task::Model,
    assignees: &[Uuid],
    added: Vec<Uuid>,
) -> Result<(), ApiError> {
    crate::link::report(txn, links, caller.acting, Some(before), Some(after), true).await?;
    let by = acting_user(caller);
    let org = Some(caller.organization_id());
    if !added.is_empty() {
        let event = TaskAssigned { task_id: after.id, title: after.title.clone(), by, assigned: added };
        baseops_jobs::emit(txn, caller.acting, org, &event).await?;
    }
    if before.status != after.status {
        let mut recipients = assignees.to_vec();
        recipients.extend(watchers_of(txn, after.id).await?);
        let event = TaskStatusChanged {
            task_id: after.id,
            title: after.title.clone(),
            by,
            from: before.status.clone(),
            to: after.status.clone(),
            recipients,
        };
        baseops_jobs::emit(txn, caller.acting, org, &event).await?;
        if after.status == DONE
            && let (Some(series_id), Some(seq)) = (after.recurrence_id, after.recurrence_seq)
        {
            let job = CreateNextOccurrence { series_id, after_seq: seq };
            let enqueue = Enqueue::new(&job)
                .map_err(ApiError::internal)?
                .context(org, Some(caller.acting.origin.request_id.as_str()));
            baseops_jobs::enqueue(txn, enqueue).await?;
        }
    }
    if before.due_at != after.due_at {
        super::schedule_reminder(txn, caller.acting, after, reminder_lead(settings)).await?;
    }
    Ok(())
}

/// Deletes a task (its comments, attachments, labels, assignees and watchers with it) and
/// returns the storage keys of its attachments, to delete once the transaction commits.
///
/// # Errors
/// 404 for a task the caller may not see, 403 (own scope: only tasks the caller created), 409
/// `has_subtasks`; database errors.
pub async fn task_delete(
    txn: &DatabaseTransaction,
    links: &Links,
    caller: &Caller<'_>,
    delete: Scope,
    id: Uuid,
) -> Result<Vec<String>, ApiError> {
    let (found, assignees) = visible_task(txn, caller, id).await?;
    within(delete, found.created_by == caller.user_id())?;
    let children = task::Entity::find().filter(task::Column::ParentId.eq(id)).count(txn).await?;
    if children > 0 {
        return Err(ApiError::Conflict {
            code: "has_subtasks",
            detail: format!("This task has {children} sub-tasks; delete or move them first."),
        });
    }
    let keys = super::attachment::keys_of(txn, id).await?;
    if let Some(series_id) = found.recurrence_id {
        task_recurrence::Entity::update_many()
            .col_expr(task_recurrence::Column::Active, Expr::value(false))
            .filter(task_recurrence::Column::Id.eq(series_id))
            .filter(task_recurrence::Column::LatestTaskId.eq(id))
            .exec(txn)
            .await?;
    }
    task::Entity::delete_by_id(id).exec(txn).await?;
    crate::link::report(txn, links, caller.acting, Some(&found), None, false).await?;
    let snapshot = serde_json::json!({
        "title": found.title,
        "status": found.status,
        "assignees": assignees,
        "created_by": found.created_by,
    });
    record(
        txn,
        AuditEntry::new(caller.acting, Some(caller.organization_id()), "task.delete", "task", id)
            .changes(Changes::deleted(&snapshot)),
    )
    .await?;
    Ok(keys)
}

/// The assignees of one task (for handlers that answer with the task after a write).
///
/// # Errors
/// Database errors.
pub async fn assignees(txn: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>, DbErr> {
    Ok(assignees_of(txn, &[id]).await?.remove(&id).unwrap_or_default())
}
