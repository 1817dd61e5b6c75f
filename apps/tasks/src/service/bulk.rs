//! Bulk changes: moving and assigning up to [`MAX_BULK`] tasks in one request, all or none —
//! the first task that may not change stops the request and the transaction rolls back.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::TasksSettings;
use baseops_core::{ApiError, FieldErrors, Links, Scope};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::input::users;
use super::task::{Grants, after_change, check_assign, check_members, move_to, save, set_assignees};
use super::{MAX_ASSIGNEES, acting_user, within};
use crate::Caller;
use crate::event::TaskAssigned;
use crate::model::task;
use crate::selector::{visible_task, workflow_of};

/// Most tasks one bulk request may change.
pub const MAX_BULK: usize = 200;
/// Longest stage key a bulk move may name.
const MAX_STATUS_LEN: usize = 32;

/// Tasks to move to a stage.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// 1–200 task ids.
    #[schema(min_items = 1, max_items = 200)]
    pub ids: Vec<Uuid>,
    /// The stage to move every one of them to.
    pub status: String,
}

/// Who to add to and remove from tasks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TaskAssignInput)]
pub struct AssignInput {
    /// 1–200 task ids.
    #[schema(min_items = 1, max_items = 200)]
    pub ids: Vec<Uuid>,
    /// Users to assign (members of the organization).
    #[serde(default)]
    pub add: Vec<Uuid>,
    /// Users to unassign.
    #[serde(default)]
    pub remove: Vec<Uuid>,
}

/// A checked [`StatusInput`]: 1 to [`MAX_BULK`] distinct task ids, sorted, and a stage key of
/// at most 32 bytes (not yet known to be a stage). Only [`StatusInput::check`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkStatus {
    ids: Vec<Uuid>,
    status: String,
}

/// A checked [`AssignInput`]: 1 to [`MAX_BULK`] distinct task ids, and at most
/// [`MAX_ASSIGNEES`] users to add and to remove, each sorted and without duplicates (those
/// added not yet known to be members). Only [`AssignInput::check`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkAssignment {
    ids: Vec<Uuid>,
    add: Vec<Uuid>,
    remove: Vec<Uuid>,
}

/// 1 to [`MAX_BULK`] task ids, sorted, without duplicates; `also_refused` adds a reason to
/// refuse them under the same message (a stage key too long to be one).
fn bulk_ids(ids: Vec<Uuid>, also_refused: bool) -> Result<Vec<Uuid>, FieldErrors> {
    // No ids is refused with the same message.
    baseops_core::bulk::ids(if also_refused { Vec::new() } else { ids }, MAX_BULK, "tasks")
}

impl StatusInput {
    /// Checks the ids and the length of the stage key.
    ///
    /// # Errors
    /// `ids` for none, more than [`MAX_BULK`], or a stage key longer than any stage's.
    pub fn check(self) -> Result<BulkStatus, FieldErrors> {
        let ids = bulk_ids(self.ids, self.status.len() > MAX_STATUS_LEN)?;
        Ok(BulkStatus { ids, status: self.status })
    }
}

impl AssignInput {
    /// Checks the ids, then the users to add and remove.
    ///
    /// # Errors
    /// `ids` alone when they are wrong; else every problem with `add` and `remove`.
    pub fn check(self) -> Result<BulkAssignment, FieldErrors> {
        let ids = bulk_ids(self.ids, false)?;
        let mut errors = FieldErrors::new();
        let add = users(&mut errors, "add", &self.add, MAX_ASSIGNEES);
        let remove = users(&mut errors, "remove", &self.remove, MAX_ASSIGNEES);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(BulkAssignment { ids, add, remove })
    }
}

/// Moves tasks to a stage, all or none: each must be visible, within the caller's
/// `tasks.edit` scope and allowed to make the move. `change` was checked at the edge
/// ([`StatusInput::check`]).
///
/// # Errors
/// 422 for an unknown stage, 422 naming an id the caller cannot see, 403, 409
/// `invalid_transition`; database errors.
pub async fn tasks_set_status(
    txn: &DatabaseTransaction,
    links: &Links,
    caller: &Caller<'_>,
    edit: Scope,
    settings: &TasksSettings,
    change: BulkStatus,
) -> Result<Vec<Uuid>, ApiError> {
    let BulkStatus { ids, status } = change;
    let status = status.as_str();
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
/// tasks) unless only the caller is added or removed. `change` was checked at the edge
/// ([`AssignInput::check`]).
///
/// # Errors
/// 422 for non-members or a task that would have too many assignees, 422 naming an id the
/// caller cannot see, 403; database errors.
pub async fn tasks_assign(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    grants: Grants,
    change: BulkAssignment,
) -> Result<Vec<Uuid>, ApiError> {
    let BulkAssignment { ids, add, remove } = change;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(count: usize) -> Vec<Uuid> {
        (0..count).map(|_| Uuid::now_v7()).collect()
    }

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.iter().map(|(field, _)| field).collect()
    }

    #[test]
    fn a_bulk_move_names_1_to_200_tasks_and_a_short_stage() {
        let one = ids(1)[0];
        let checked = StatusInput { ids: vec![one, one], status: "done".into() }.check().expect("accepted");
        assert_eq!(checked, BulkStatus { ids: vec![one], status: "done".into() });
        for (ids, status) in
            [(ids(0), "done".to_owned()), (ids(201), "done".to_owned()), (ids(1), "x".repeat(33))]
        {
            let errors = StatusInput { ids, status }.check().expect_err("refused");
            assert_eq!(errors.get("ids"), Some(&["must name 1 to 200 tasks".to_owned()][..]));
        }
    }

    #[test]
    fn a_bulk_assignment_checks_the_ids_first_then_both_lists() {
        let errors = AssignInput { ids: ids(0), add: ids(21), remove: vec![] }.check().expect_err("refused");
        assert_eq!(fields(&errors), ["ids"], "the ids alone, as before");
        let errors = AssignInput { ids: ids(2), add: ids(21), remove: ids(21) }.check().expect_err("refused");
        assert_eq!(fields(&errors), ["add", "remove"]);
        let user = Uuid::now_v7();
        let checked =
            AssignInput { ids: ids(2), add: vec![user, user], remove: vec![] }.check().expect("accepted");
        assert_eq!(checked.add, [user]);
    }
}
