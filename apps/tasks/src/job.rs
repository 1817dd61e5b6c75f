//! The tasks app's background jobs: the reminder before a task is due, the next occurrence
//! of a recurring series (on completion, and hourly on schedule), and the daily overdue
//! digest. Every job may run twice (the queue is at-least-once) and stays correct: reminders
//! check the due time they were made for, occurrences are compare-and-set, notifications are
//! idempotent per job id or event id.

use std::collections::BTreeMap;

use baseops_core::{Acting, Actor, Links, Origin};
use baseops_jobs::{Enqueue, Job, JobContext, JobError, Recurring};
use baseops_notifications::NewNotification;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::TaskOverdue;
use crate::model::{task, task_recurrence, task_watcher};
use crate::selector::assignees_of;
use crate::service::recurrence::occurrence_create_next;
use crate::workflow::{CANCELLED, DONE};

/// How long before its due date an occurrence is created when the previous one is not done.
pub const OCCURRENCE_LEAD: Duration = Duration::days(1);
/// Series advanced per run of the schedule.
const SERIES_PER_RUN: u64 = 500;
/// Tasks flagged overdue per transaction.
const OVERDUE_BATCH: u64 = 200;
/// Overdue tasks the digest reads per run (oldest due first).
const DIGEST_MAX_TASKS: u64 = 10_000;
/// Titles listed per digest.
const DIGEST_TITLES: usize = 10;

fn system(name: &str) -> (Actor, Origin) {
    (Actor::System { name: format!("job:{name}") }, Origin::internal())
}

fn open_and_overdue(now: DateTime<Utc>) -> Condition {
    Condition::all().add(task::Column::DueAt.lt(now)).add(task::Column::Status.is_not_in([DONE, CANCELLED]))
}

/// Reminds a task's assignees (its creator when it has none) that it is due soon.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendReminder {
    /// The task.
    pub task_id: Uuid,
    /// The due time this reminder is for; a task moved since is not reminded by it.
    pub due_at: DateTime<Utc>,
}

#[async_trait::async_trait]
impl Job for SendReminder {
    const NAME: &'static str = "tasks.send_reminder";

    fn dedup_key(&self) -> Option<String> {
        Some(format!("task-reminder:{}:{}", self.task_id, self.due_at.timestamp()))
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let db = ctx.state.db().write();
        let Some(found) = task::Entity::find_by_id(self.task_id).one(db).await.map_err(JobError::retry)?
        else {
            return Ok(());
        };
        if found.due_at != Some(self.due_at) || found.status == DONE || found.status == CANCELLED {
            return Ok(());
        }
        let mut recipients = assignees_of(db, &[found.id])
            .await
            .map_err(JobError::retry)?
            .remove(&found.id)
            .unwrap_or_default();
        if recipients.is_empty() {
            recipients.push(found.created_by);
        }
        let items = recipients
            .into_iter()
            .map(|user_id| NewNotification {
                user_id,
                organization_id: Some(found.organization_id),
                kind: "task.reminder",
                title: format!("Due soon: {}", found.title),
                body: format!("It is due {}.", self.due_at.format("%Y-%m-%d %H:%M UTC")),
                link: Some(format!("/tasks/{}", found.id)),
                event_id: Some(ctx.job_id),
            })
            .collect();
        baseops_notifications::send(&ctx.state, items).await?;
        Ok(())
    }
}

/// Creates the occurrence after `after_seq` of a series (enqueued when that one is done).
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateNextOccurrence {
    /// The series.
    pub series_id: Uuid,
    /// The occurrence that was completed.
    pub after_seq: i32,
}

#[async_trait::async_trait]
impl Job for CreateNextOccurrence {
    const NAME: &'static str = "tasks.create_next_occurrence";

    fn dedup_key(&self) -> Option<String> {
        Some(format!("task-recurrence:{}:{}", self.series_id, self.after_seq))
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let (actor, origin) = system(Self::NAME);
        let txn = ctx.state.db().write().begin().await.map_err(JobError::retry)?;
        let acting = Acting { actor: &actor, origin: &origin };
        occurrence_create_next(
            &txn,
            &Links::of(&ctx.state),
            acting,
            &ctx.state.settings().tasks,
            self.series_id,
            self.after_seq,
        )
        .await
        .map_err(JobError::retry)?;
        txn.commit().await.map_err(JobError::retry)
    }
}

/// Creates the next occurrence of every series due within [`OCCURRENCE_LEAD`], done or not.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecurrenceTick;

#[async_trait::async_trait]
impl Job for RecurrenceTick {
    const NAME: &'static str = "tasks.recurrence_tick";

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let db = ctx.state.db().write();
        let due = task_recurrence::Entity::find()
            .filter(task_recurrence::Column::Active.eq(true))
            .filter(task_recurrence::Column::NextDueAt.lte(Utc::now() + OCCURRENCE_LEAD))
            .order_by_asc(task_recurrence::Column::NextDueAt)
            .limit(SERIES_PER_RUN)
            .all(db)
            .await
            .map_err(JobError::retry)?;
        let (actor, origin) = system(Self::NAME);
        let acting = Acting { actor: &actor, origin: &origin };
        let mut created = 0;
        for series in due {
            let txn = db.begin().await.map_err(JobError::retry)?;
            let next = occurrence_create_next(
                &txn,
                &Links::of(&ctx.state),
                acting,
                &ctx.state.settings().tasks,
                series.id,
                series.last_seq,
            )
            .await
            .map_err(JobError::retry)?;
            txn.commit().await.map_err(JobError::retry)?;
            created += usize::from(next.is_some());
        }
        tracing::info!(created, "recurring task occurrences created");
        Ok(())
    }
}

/// Every hour: [`RecurrenceTick`].
pub const RECURRENCE_HOURLY: Recurring =
    Recurring { name: "tasks_recurrence", cron: "5 * * * *", job: || Enqueue::new(&RecurrenceTick) };

/// Emits `task.overdue` once per task and due time, then sends each assignee and creator of
/// overdue tasks one digest notification.
#[derive(Debug, Serialize, Deserialize)]
pub struct OverdueDigest;

#[async_trait::async_trait]
impl Job for OverdueDigest {
    const NAME: &'static str = "tasks.overdue_digest";
    const TIMEOUT_SECS: i32 = 1800;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let now = Utc::now();
        let flagged = flag_overdue(ctx, now).await.map_err(JobError::retry)?;
        let digests = digests(ctx, now).await.map_err(JobError::retry)?;
        let sent = baseops_notifications::send(&ctx.state, digests).await?;
        tracing::info!(flagged, sent, "overdue tasks flagged and digests sent");
        Ok(())
    }
}

/// Every day at 07:00 (in `jobs.timezone`): [`OverdueDigest`].
pub const OVERDUE_DIGEST_DAILY: Recurring =
    Recurring { name: "tasks_overdue_digest", cron: "0 7 * * *", job: || Enqueue::new(&OverdueDigest) };

/// Emits [`TaskOverdue`] for each open task past due not yet flagged for its due time.
async fn flag_overdue(ctx: &JobContext, now: DateTime<Utc>) -> Result<u64, sea_orm::DbErr> {
    let db = ctx.state.db().write();
    let (actor, origin) = system(OverdueDigest::NAME);
    let acting = Acting { actor: &actor, origin: &origin };
    let not_flagged = Condition::any()
        .add(task::Column::OverdueNotifiedFor.is_null())
        .add(Expr::col(task::Column::OverdueNotifiedFor).ne(Expr::col(task::Column::DueAt)));
    let mut flagged = 0;
    loop {
        let txn = db.begin().await?;
        let rows = task::Entity::find()
            .filter(open_and_overdue(now))
            .filter(not_flagged.clone())
            .order_by_asc(task::Column::Id)
            .limit(OVERDUE_BATCH)
            .all(&txn)
            .await?;
        if rows.is_empty() {
            txn.commit().await?;
            return Ok(flagged);
        }
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut assignees = assignees_of(&txn, &ids).await?;
        let mut watchers = BTreeMap::<Uuid, Vec<Uuid>>::new();
        for row in task_watcher::Entity::find()
            .filter(task_watcher::Column::TaskId.is_in(ids.clone()))
            .all(&txn)
            .await?
        {
            watchers.entry(row.task_id).or_default().push(row.user_id);
        }
        for row in rows {
            let Some(due_at) = row.due_at else { continue };
            let mut recipients = assignees.remove(&row.id).unwrap_or_default();
            recipients.extend(watchers.remove(&row.id).unwrap_or_default());
            let event = TaskOverdue { task_id: row.id, title: row.title.clone(), due_at, recipients };
            baseops_jobs::emit(&txn, acting, Some(row.organization_id), &event).await?;
            task::Entity::update_many()
                .col_expr(task::Column::OverdueNotifiedFor, Expr::value(due_at))
                .filter(task::Column::Id.eq(row.id))
                .exec(&txn)
                .await?;
            flagged += 1;
        }
        txn.commit().await?;
    }
}

/// One notification per (user, organization) with overdue tasks they are assigned to or
/// created: how many, and the titles of the oldest.
async fn digests(ctx: &JobContext, now: DateTime<Utc>) -> Result<Vec<NewNotification>, sea_orm::DbErr> {
    let db = ctx.state.db().read();
    let rows = task::Entity::find()
        .filter(open_and_overdue(now))
        .order_by_asc(task::Column::DueAt)
        .limit(DIGEST_MAX_TASKS)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut assignees = BTreeMap::new();
    for chunk in ids.chunks(500) {
        assignees.extend(assignees_of(db, chunk).await?);
    }
    let mut per_user = BTreeMap::<(Uuid, Uuid), Vec<&task::Model>>::new();
    for row in &rows {
        let mut users = assignees.get(&row.id).cloned().unwrap_or_default();
        users.push(row.created_by);
        users.sort_unstable();
        users.dedup();
        for user in users {
            per_user.entry((user, row.organization_id)).or_default().push(row);
        }
    }
    Ok(per_user
        .into_iter()
        .map(|((user_id, organization_id), tasks)| {
            let lines: Vec<String> = tasks
                .iter()
                .take(DIGEST_TITLES)
                .map(|task| {
                    let due = task.due_at.map(|due| due.format("%Y-%m-%d").to_string()).unwrap_or_default();
                    format!("- {} (due {due})", task.title)
                })
                .collect();
            let more = tasks.len().saturating_sub(DIGEST_TITLES);
            let mut body = lines.join("\n");
            if more > 0 {
                body.push_str(&format!("\n… and {more} more."));
            }
            NewNotification {
                user_id,
                organization_id: Some(organization_id),
                kind: "task.overdue_digest",
                title: format!("{} overdue tasks", tasks.len()),
                body,
                link: Some("/tasks?overdue=true".to_owned()),
                // One digest per organization: the job id alone would make a user's second
                // organization look like a duplicate.
                event_id: Some(Uuid::from_u128(ctx.job_id.as_u128() ^ organization_id.as_u128())),
            }
        })
        .collect())
}
