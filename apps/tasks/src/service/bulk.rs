//! Bulk changes: moving and assigning up to [`MAX_BULK`] tasks in one request, all or none —
//! the first task that may not change stops the request and the transaction rolls back.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::TasksSettings;
use baseops_core::{ApiError, FieldErrors, Links, Scope};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use super::input::check_users;
use super::task::{Grants, after_change, check_assign, check_members, move_to, save, set_assignees};
use super::{MAX_ASSIGNEES, acting_user, within};
use crate::Caller;
use crate::event::TaskAssigned;
use crate::model::task;
use crate::selector::{visible_task, workflow_of};

/// Most tasks one bulk request may change.
pub const MAX_BULK: usize = 200;

/// Moves tasks to `status`, all or none: each must be visible, within the caller's
/// `tasks.edit` scope and allowed to make the move.
///
/// # Errors
/// 422 for too many ids or an unknown stage, 404 naming an id the caller cannot see, 403, 409
/// `invalid_transition`; database errors.
pub async fn tasks_set_status(
    txn: &DatabaseTransaction,
    links: &Links,
    caller: &Caller<'_>,
    edit: Scope,
    settings: &TasksSettings,
    ids: &[Uuid],
    status: &str,
) -> Result<Vec<Uuid>, ApiError> {
    let ids = bulk_ids(ids)?;
    let (workflow, _) = workflow_of(txn, caller.organization_id()).await?;
    if workflow.stage(status).is_none() {
        return Err(ApiError::invalid("status", "is not a stage of this organization's workflow"));
    }
    let mut changed = Vec::new();
    for id in ids {
        let (before, assignees) = bulk_target(txn, caller, id).await?;
        within(edit, caller.owns(before.created_by, &assignees))?;
        let mut after = before.clone();
        move_to(&workflow, &mut after, status).map_err(|error| name_task(error, id))?;
        if after.status == before.status {
            continue;
        }
        save(txn, &before, &mut after).await?;
        let audit = Changes::new().set("status", &before.status, &after.status);
        record(
            txn,
            AuditEntry::new(caller.acting, Some(caller.organization_id()), "task.update", "task", id)
                .changes(audit),
        )
        .await?;
        after_change(txn, links, caller, settings, &before, &after, &assignees, Vec::new()).await?;
        changed.push(id);
    }
    Ok(changed)
}

/// Adds and removes assignees on tasks, all or none; needs `tasks.assign` (own scope: on own
/// tasks) unless only the caller is added or removed.
///
/// # Errors
/// 422 for too many ids or non-members, 404 naming an id the caller cannot see, 403;
/// database errors.
pub async fn tasks_assign(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    grants: Grants,
    ids: &[Uuid],
    add: &[Uuid],
    remove: &[Uuid],
) -> Result<Vec<Uuid>, ApiError> {
    let ids = bulk_ids(ids)?;
    let mut errors = FieldErrors::new();
    let add = check_users("add", add, MAX_ASSIGNEES, &mut errors);
    let remove = check_users("remove", remove, MAX_ASSIGNEES, &mut errors);
    errors.into_result()?;
    let mut errors = FieldErrors::new();
    check_members(txn, caller, "add", &add, &mut errors).await?;
    errors.into_result()?;
    let mut changed = Vec::new();
    for id in ids {
        let (before, assignees_before) = bulk_target(txn, caller, id).await?;
        let own = caller.owns(before.created_by, &assignees_before);
        within(grants.act, own)?;
        let mut assignees: Vec<Uuid> = assignees_before
            .iter()
            .copied()
            .filter(|user| !remove.contains(user))
            .chain(add.iter().copied())
            .collect();
        assignees.sort_unstable();
        assignees.dedup();
        if assignees == assignees_before {
            continue;
        }
        if assignees.len() > MAX_ASSIGNEES {
            return Err(ApiError::invalid(
                "add",
                format!("task {id} would have more than {MAX_ASSIGNEES} assignees"),
            ));
        }
        check_assign(caller, grants, own, &assignees_before, &assignees)?;
        let mut after = before.clone();
        save(txn, &before, &mut after).await?;
        set_assignees(txn, id, &assignees).await?;
        let audit = Changes::new().set("assignees", &assignees_before, &assignees);
        record(
            txn,
            AuditEntry::new(caller.acting, Some(caller.organization_id()), "task.update", "task", id)
                .changes(audit),
        )
        .await?;
        let added: Vec<Uuid> =
            assignees.iter().copied().filter(|user| !assignees_before.contains(user)).collect();
        let by = acting_user(caller);
        if !added.is_empty() {
            let event = TaskAssigned { task_id: id, title: after.title.clone(), by, assigned: added };
            baseops_jobs::emit(txn, caller.acting, Some(caller.organization_id()), &event).await?;
        }
        changed.push(id);
    }
    Ok(changed)
}

fn bulk_ids(ids: &[Uuid]) -> Result<Vec<Uuid>, ApiError> {
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(ApiError::invalid("ids", format!("must name 1 to {MAX_BULK} tasks")));
    }
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    Ok(unique)
}

async fn bulk_target(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    id: Uuid,
) -> Result<(task::Model, Vec<Uuid>), ApiError> {
    visible_task(txn, caller, id).await.map_err(|error| name_task(error, id))
}

/// Names the task a bulk request failed on.
fn name_task(error: ApiError, id: Uuid) -> ApiError {
    match error {
        ApiError::NotFound => ApiError::invalid("ids", format!("task {id} does not exist")),
        ApiError::Conflict { code, detail } => {
            ApiError::Conflict { code, detail: format!("Task {id}: {detail}") }
        }
        other => other,
    }
}
