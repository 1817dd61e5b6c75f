//! Every write of the tasks app. Each public function takes the caller's transaction and
//! records its audit events and domain events in it, so a change, its history and its
//! notifications commit together or not at all.

pub mod attachment;
pub mod bulk;
pub mod comment;
pub mod create;
mod input;
pub mod recurrence;
pub mod task;
pub mod words;
pub mod workflow;

use baseops_core::{Acting, ApiError, Directory, Scope};
use baseops_jobs::Enqueue;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::Caller;
use crate::job::SendReminder;
use crate::model::task as task_entity;

pub use input::{
    Checked, CheckedNewTask, CheckedTaskChanges, MAX_ASSIGNEES, MAX_LABELS, MAX_WATCHERS, NewTask,
    TaskChanges, TaskEdits, TaskFields, TaskPlacement,
};

/// The users among `users` who are not active members of the organization.
///
/// # Errors
/// Database errors.
pub async fn non_members(
    db: &impl ConnectionTrait,
    directory: &dyn Directory,
    organization_id: Uuid,
    users: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let members = baseops_core::active_members(db, directory, organization_id, users).await?;
    Ok(users.iter().copied().filter(|user| !members.contains(user)).collect())
}

/// 403 unless `scope` reaches a task that is (`own`) or is not the caller's own.
pub(crate) fn within(scope: Scope, own: bool) -> Result<(), ApiError> {
    if scope == Scope::All || own { Ok(()) } else { Err(ApiError::Forbidden) }
}

/// Enqueues the reminder of a task due at `due_at`, `lead` before it (at once when that is
/// already past), unless the due time itself is past. The job's key names the due time, so
/// moving it schedules a new reminder and the old one finds nothing to do.
pub(crate) async fn schedule_reminder(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    task: &task_entity::Model,
    lead: Duration,
) -> Result<(), DbErr> {
    let Some(due_at) = task.due_at else { return Ok(()) };
    let now = Utc::now();
    if due_at <= now {
        return Ok(());
    }
    let job = SendReminder { task_id: task.id, due_at };
    let enqueue = Enqueue::new(&job)
        .map_err(|error| DbErr::Custom(error.to_string()))?
        .at(Ord::max(due_at - lead, now))
        .context(Some(task.organization_id), Some(acting.origin.request_id.as_str()));
    baseops_jobs::enqueue(txn, enqueue).await?;
    Ok(())
}

/// The reminder lead time from the settings.
pub(crate) fn reminder_lead(settings: &baseops_config::TasksSettings) -> Duration {
    Duration::minutes(i64::try_from(settings.reminder_lead_minutes).unwrap_or(60))
}

/// Now, to the microsecond: what both databases store, so a timestamp read back equals the
/// one written (keyset cursors compare them).
pub(crate) fn now() -> DateTime<Utc> {
    micros(Utc::now())
}

/// A timestamp cut to the microsecond.
pub(crate) fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    chrono::SubsecRound::trunc_subsecs(at, 6)
}

/// Whether a task is overdue now: open and past its due time.
pub fn is_overdue(status: &str, due_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    status != crate::workflow::DONE
        && status != crate::workflow::CANCELLED
        && due_at.is_some_and(|due| due < now)
}

/// The caller's user id, when the caller is a user (and not the system).
pub(crate) fn acting_user(caller: &Caller<'_>) -> Option<Uuid> {
    caller.acting.actor.user_id()
}
