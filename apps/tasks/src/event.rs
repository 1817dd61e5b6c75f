//! Events the tasks app emits, and its handlers: assignees and watchers are notified through
//! the notifications service (never by writing notifications here). Each event carries its
//! recipients as they were when it happened, and the acting user, who is not notified of
//! their own change.

use baseops_jobs::{Delivered, Event, EventBus, JobContext, JobError};
use baseops_notifications::NewNotification;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A task was created (`task.created`): its watchers hear of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskCreated {
    /// The task.
    pub task_id: Uuid,
    /// Its title.
    pub title: String,
    /// The user who created it (none for a recurrence the system created).
    pub by: Option<Uuid>,
    /// Its watchers.
    pub watchers: Vec<Uuid>,
}

impl Event for TaskCreated {
    const NAME: &'static str = "task.created";
}

/// People were assigned to a task (`task.assigned`): they hear of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskAssigned {
    /// The task.
    pub task_id: Uuid,
    /// Its title.
    pub title: String,
    /// Who assigned them.
    pub by: Option<Uuid>,
    /// The newly assigned users.
    pub assigned: Vec<Uuid>,
}

impl Event for TaskAssigned {
    const NAME: &'static str = "task.assigned";
}

/// A task moved to another stage (`task.status_changed`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskStatusChanged {
    /// The task.
    pub task_id: Uuid,
    /// Its title.
    pub title: String,
    /// Who moved it.
    pub by: Option<Uuid>,
    /// The stage before.
    pub from: String,
    /// The stage after.
    pub to: String,
    /// Its assignees and watchers.
    pub recipients: Vec<Uuid>,
}

impl Event for TaskStatusChanged {
    const NAME: &'static str = "task.status_changed";
}

/// Someone commented on a task (`task.commented`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskCommented {
    /// The task.
    pub task_id: Uuid,
    /// Its title.
    pub title: String,
    /// The comment.
    pub comment_id: Uuid,
    /// Its author.
    pub by: Option<Uuid>,
    /// The comment's first characters.
    pub excerpt: String,
    /// The task's assignees and watchers.
    pub recipients: Vec<Uuid>,
}

impl Event for TaskCommented {
    const NAME: &'static str = "task.commented";
}

/// An open task passed its due time (`task.overdue`), once per due time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskOverdue {
    /// The task.
    pub task_id: Uuid,
    /// Its title.
    pub title: String,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// Its assignees and watchers.
    pub recipients: Vec<Uuid>,
}

impl Event for TaskOverdue {
    const NAME: &'static str = "task.overdue";
}

/// Every event the tasks app emits.
pub const EMITTED: &[&str] =
    &[TaskCreated::NAME, TaskAssigned::NAME, TaskStatusChanged::NAME, TaskCommented::NAME, TaskOverdue::NAME];

/// Subscribes the tasks app's handlers to `bus`.
pub fn subscribe(bus: EventBus) -> EventBus {
    bus.on::<TaskCreated, _, _>("tasks.notify_created", |delivered, ctx| async move {
        let event = &delivered.event;
        let title = format!("New task: {}", event.title);
        notify(&ctx, &delivered, &event.watchers, event.by, event.task_id, title, String::new()).await
    })
    .on::<TaskAssigned, _, _>("tasks.notify_assigned", |delivered, ctx| async move {
        let event = &delivered.event;
        let title = format!("You were assigned: {}", event.title);
        notify(&ctx, &delivered, &event.assigned, event.by, event.task_id, title, String::new()).await
    })
    .on::<TaskStatusChanged, _, _>("tasks.notify_status_changed", |delivered, ctx| async move {
        let event = &delivered.event;
        let title = format!("{}: {} → {}", event.title, event.from, event.to);
        notify(&ctx, &delivered, &event.recipients, event.by, event.task_id, title, String::new()).await
    })
    .on::<TaskCommented, _, _>("tasks.notify_commented", |delivered, ctx| async move {
        let event = &delivered.event;
        let title = format!("New comment on {}", event.title);
        let body = event.excerpt.clone();
        notify(&ctx, &delivered, &event.recipients, event.by, event.task_id, title, body).await
    })
    .on::<TaskOverdue, _, _>("tasks.notify_overdue", |delivered, ctx| async move {
        let event = &delivered.event;
        let title = format!("Overdue: {}", event.title);
        let body = format!("It was due {}.", event.due_at.format("%Y-%m-%d %H:%M UTC"));
        notify(&ctx, &delivered, &event.recipients, None, event.task_id, title, body).await
    })
}

async fn notify<E: Event>(
    ctx: &JobContext,
    delivered: &Delivered<E>,
    recipients: &[Uuid],
    actor: Option<Uuid>,
    task_id: Uuid,
    title: String,
    body: String,
) -> Result<(), JobError> {
    let mut users: Vec<Uuid> = recipients.iter().copied().filter(|user| Some(*user) != actor).collect();
    users.sort_unstable();
    users.dedup();
    let items = users
        .into_iter()
        .map(|user_id| NewNotification {
            user_id,
            organization_id: delivered.organization_id,
            kind: E::NAME,
            title: title.clone(),
            body: body.clone(),
            link: Some(format!("/tasks/{task_id}")),
            event_id: Some(delivered.id),
        })
        .collect();
    baseops_notifications::send(&ctx.state, items).await?;
    Ok(())
}
