//! Creating a task, idempotently when the client sends an `Idempotency-Key`.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_config::TasksSettings;
use baseops_core::{ApiError, FieldErrors, Links};
use baseops_idempotency::{Claim, claim};
use sea_orm::{ActiveValue::Set, DatabaseTransaction, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use super::input::joined;
use super::task::{
    Grants, check_assign, check_members, check_parent, set_assignees, set_labels, set_watchers,
};
use super::{CheckedNewTask, TaskFields, acting_user, reminder_lead};
use crate::Caller;
use crate::event::{TaskAssigned, TaskCreated};
use crate::model::{task, task_recurrence};
use crate::workflow::TODO;

/// The endpoint name idempotency keys of task creation are scoped to.
pub const CREATE_ENDPOINT: &str = "tasks.create";

/// What a create did: created the task, or found the one an earlier request with the same
/// `Idempotency-Key` created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// A new task.
    New(Uuid),
    /// The task of the first request with this key.
    Replayed(Uuid),
}

/// The client's `Idempotency-Key` with the hash of the body it came with
/// ([`baseops_idempotency::request_hash`] of the [`NewTask`](super::NewTask), as sent).
#[derive(Debug, Clone, Copy)]
pub struct Idempotency<'a> {
    /// The key.
    pub key: &'a str,
    /// The body's hash.
    pub request_hash: [u8; 32],
}

impl Created {
    /// The task's id either way.
    pub fn id(self) -> Uuid {
        match self {
            Self::New(id) | Self::Replayed(id) => id,
        }
    }
}

/// Creates a task; with an `Idempotency-Key`, a retry of the same request finds the first
/// request's task instead. `new` was checked at the edge ([`NewTask::check`](super::NewTask::check));
/// its problems are reported after the key is claimed, with the parent's.
///
/// # Errors
/// 422 for bad fields, non-members, a bad parent, a related record its app does not know;
/// 403 `assign_forbidden` for assigning others
/// without `tasks.assign`; 422 `idempotency_key_reused`; database errors.
pub async fn task_create(
    txn: &DatabaseTransaction,
    links: &Links,
    caller: &Caller<'_>,
    grants: Grants,
    settings: &TasksSettings,
    idempotency: Option<Idempotency<'_>>,
    new: CheckedNewTask,
) -> Result<Created, ApiError> {
    let id = Uuid::now_v7();
    if let Some(Idempotency { key, request_hash }) = idempotency {
        let principal = caller.user_id().to_string();
        if let Claim::Replay(existing) =
            claim(txn, caller.organization_id(), &principal, CREATE_ENDPOINT, key, request_hash, id).await?
        {
            return Ok(Created::Replayed(existing));
        }
    }
    let CheckedNewTask { fields, parent_id } = new;
    let mut found = FieldErrors::new();
    if let Some(parent_id) = parent_id {
        check_parent(txn, caller, parent_id, None, &mut found).await?;
    }
    let TaskFields {
        title,
        description,
        priority,
        assignees,
        watchers,
        labels,
        due_at,
        estimate_minutes,
        related_type,
        related_id,
        recurrence,
    } = joined(fields, found)?;
    let mut errors = FieldErrors::new();
    check_members(txn, caller, "assignees", &assignees, &mut errors).await?;
    check_members(txn, caller, "watchers", &watchers, &mut errors).await?;
    errors.into_result()?;
    check_assign(caller, grants, true, &[], &assignees)?;

    let now = super::now();
    let recurrence_id = recurrence.as_ref().map(|_| Uuid::now_v7());
    let model = task::Model {
        id,
        organization_id: caller.organization_id(),
        title,
        description,
        status: TODO.to_owned(),
        priority: priority.rank(),
        due_at: due_at.map(super::micros),
        estimate_minutes,
        parent_id,
        related_type,
        related_id,
        recurrence_id,
        recurrence_seq: recurrence_id.map(|_| 1),
        overdue_notified_for: None,
        created_by: caller.user_id(),
        created_at: now,
        updated_at: now,
        completed_at: None,
        version: 1,
    };
    task::Entity::insert(model.clone().into_active_model()).exec_without_returning(txn).await?;
    super::words::insert_words(txn, model.organization_id, &[(id, &model.title)]).await?;
    if let (Some(series_id), Some(rule), Some(due_at)) = (recurrence_id, &recurrence, due_at) {
        task_recurrence::Entity::insert(task_recurrence::ActiveModel {
            id: Set(series_id),
            organization_id: Set(caller.organization_id()),
            rule: Set(serde_json::to_string(rule).map_err(ApiError::internal)?),
            latest_task_id: Set(id),
            last_seq: Set(1),
            next_due_at: Set(rule.next_after(due_at)),
            active: Set(true),
            created_at: Set(now),
        })
        .exec_without_returning(txn)
        .await?;
    }
    set_assignees(txn, id, &assignees).await?;
    set_watchers(txn, id, &watchers).await?;
    set_labels(txn, caller.organization_id(), id, &labels).await?;
    crate::link::report(txn, links, caller.acting, None, Some(&model), true).await?;
    let changes = Changes::created(&serde_json::json!({
        "title": model.title,
        "status": model.status,
        "priority": crate::Priority::from_rank(model.priority).as_str(),
        "due_at": model.due_at,
        "assignees": assignees,
        "watchers": watchers,
        "labels": labels,
        "parent_id": model.parent_id,
        "related_type": model.related_type,
        "related_id": model.related_id,
        "recurrence": recurrence,
    }));
    record(
        txn,
        AuditEntry::new(caller.acting, Some(caller.organization_id()), "task.create", "task", id)
            .changes(changes),
    )
    .await?;
    let by = acting_user(caller);
    let created = TaskCreated { task_id: id, title: model.title.clone(), by, watchers };
    baseops_jobs::emit(txn, caller.acting, Some(caller.organization_id()), &created).await?;
    if !assignees.is_empty() {
        let assigned = TaskAssigned { task_id: id, title: model.title.clone(), by, assigned: assignees };
        baseops_jobs::emit(txn, caller.acting, Some(caller.organization_id()), &assigned).await?;
    }
    super::schedule_reminder(txn, caller.acting, &model, reminder_lead(settings)).await?;
    Ok(Created::New(id))
}
