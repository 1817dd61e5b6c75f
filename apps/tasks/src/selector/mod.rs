//! Reads of the tasks app, on the read pool: one task with everything about it, lists with
//! filters and keyset pagination, the board, comments, attachments and the activity history.
//! A task the caller may not see (another organization's, or not their own under an `own`
//! scope) is 404, exactly like one that does not exist.

mod list;
mod related;
pub mod search;
pub mod work;

use std::collections::BTreeMap;

use baseops_core::{ApiError, Scope};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{task, task_assignee, task_label, task_recurrence, task_watcher};
use crate::recurrence::RecurrenceRule;
use crate::workflow::Workflow;
use crate::{Caller, Priority};

pub use list::{
    Board, BoardColumn, MAX_BOARD_LIMIT, MAX_LIMIT, MAX_QUERY_LEN, MAX_STATUSES, Page, Sort, TaskFilter,
    board, count, list,
};
pub use related::{
    ActivityPage, AttachmentOut, CommentOut, activity, attachment_of, attachments_of, comment_of, comments_of,
};

/// Most sub-tasks shown with a task.
pub const MAX_SUBTASKS_SHOWN: u64 = 100;

/// A task in a list: everything but the description and its relations' details.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TaskSummary {
    /// Id (UUIDv7, time-ordered).
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Workflow stage key.
    pub status: String,
    /// Priority.
    pub priority: Priority,
    /// Due time.
    pub due_at: Option<DateTime<Utc>>,
    /// Assigned users.
    pub assignees: Vec<Uuid>,
    /// Labels, sorted.
    pub labels: Vec<String>,
    /// Estimated effort in minutes.
    pub estimate_minutes: Option<i32>,
    /// The parent task, for a sub-task.
    pub parent_id: Option<Uuid>,
    /// The kind of record of another app this task is about (`lead`, `invoice`).
    pub related_type: Option<String>,
    /// That record's id.
    pub related_id: Option<Uuid>,
    /// Who created it.
    pub created_by: Uuid,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it reached `done`.
    pub completed_at: Option<DateTime<Utc>>,
    /// Version for `If-Match`.
    pub version: i32,
}

/// A sub-task as shown with its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SubtaskOut {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Workflow stage key.
    pub status: String,
}

/// A task's recurrence as shown with each occurrence.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RecurrenceOut {
    /// The series id, shared by every occurrence.
    pub series_id: Uuid,
    /// This task's place in the series, from 1.
    pub sequence: i32,
    /// The rule.
    pub rule: RecurrenceRule,
    /// Whether more occurrences will be created.
    pub active: bool,
    /// When the next occurrence is due (it is created when this one is done, or a day before).
    pub next_due_at: DateTime<Utc>,
}

/// One task with everything about it, as `GET /tasks/{id}` answers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TaskOut {
    /// The list fields.
    #[serde(flatten)]
    pub summary: TaskSummary,
    /// Markdown source.
    pub description: String,
    /// The description rendered to safe HTML.
    pub description_html: String,
    /// The workflow stage's name in this organization.
    pub status_name: String,
    /// Stages the task may move to next.
    pub allowed_transitions: Vec<String>,
    /// Users notified of changes.
    pub watchers: Vec<Uuid>,
    /// Its sub-tasks (at most 100), oldest first.
    pub subtasks: Vec<SubtaskOut>,
    /// Its recurring series, if any.
    pub recurrence: Option<RecurrenceOut>,
}

/// The users assigned to each of `ids`.
///
/// # Errors
/// Database errors.
pub async fn assignees_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<BTreeMap<Uuid, Vec<Uuid>>, DbErr> {
    let rows = task_assignee::Entity::find()
        .filter(task_assignee::Column::TaskId.is_in(ids.iter().copied()))
        .order_by_asc(task_assignee::Column::UserId)
        .all(db)
        .await?;
    let mut by_task = BTreeMap::<Uuid, Vec<Uuid>>::new();
    for row in rows {
        by_task.entry(row.task_id).or_default().push(row.user_id);
    }
    Ok(by_task)
}

/// The watchers of a task.
///
/// # Errors
/// Database errors.
pub async fn watchers_of(db: &impl ConnectionTrait, task_id: Uuid) -> Result<Vec<Uuid>, DbErr> {
    Ok(task_watcher::Entity::find()
        .filter(task_watcher::Column::TaskId.eq(task_id))
        .order_by_asc(task_watcher::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.user_id)
        .collect())
}

async fn labels_of(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<BTreeMap<Uuid, Vec<String>>, DbErr> {
    let rows = task_label::Entity::find()
        .filter(task_label::Column::TaskId.is_in(ids.iter().copied()))
        .order_by_asc(task_label::Column::Label)
        .all(db)
        .await?;
    let mut by_task = BTreeMap::<Uuid, Vec<String>>::new();
    for row in rows {
        by_task.entry(row.task_id).or_default().push(row.label);
    }
    Ok(by_task)
}

/// Summaries of `rows`, in their order, with their assignees and labels (two queries).
///
/// # Errors
/// Database errors.
pub async fn summaries(db: &impl ConnectionTrait, rows: Vec<task::Model>) -> Result<Vec<TaskSummary>, DbErr> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut assignees = assignees_of(db, &ids).await?;
    let mut labels = labels_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| TaskSummary {
            assignees: assignees.remove(&row.id).unwrap_or_default(),
            labels: labels.remove(&row.id).unwrap_or_default(),
            id: row.id,
            title: row.title,
            status: row.status,
            priority: Priority::from_rank(row.priority),
            due_at: row.due_at,
            estimate_minutes: row.estimate_minutes,
            parent_id: row.parent_id,
            related_type: row.related_type,
            related_id: row.related_id,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            completed_at: row.completed_at,
            version: row.version,
        })
        .collect())
}

/// A task the caller may see, with its assignees; 404 otherwise.
///
/// # Errors
/// 404, database errors.
pub async fn visible_task(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    id: Uuid,
) -> Result<(task::Model, Vec<Uuid>), ApiError> {
    let found = task::Entity::find_by_id(id)
        .filter(task::Column::OrganizationId.eq(caller.organization_id()))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let assignees = assignees_of(db, &[id]).await?.remove(&id).unwrap_or_default();
    if caller.view.scope == Scope::Own && !caller.owns(found.created_by, &assignees) {
        return Err(ApiError::NotFound);
    }
    Ok((found, assignees))
}

/// The organization's workflow (the default one until it edits it) and its version (0 for
/// the default).
///
/// # Errors
/// Database errors, or a stored workflow that does not parse.
pub async fn workflow_of(db: &impl ConnectionTrait, organization_id: Uuid) -> Result<(Workflow, i32), DbErr> {
    let Some(row) = crate::model::task_workflow::Entity::find_by_id(organization_id).one(db).await? else {
        return Ok((Workflow::default(), 0));
    };
    let stages = serde_json::from_str(&row.stages)
        .map_err(|error| DbErr::Json(format!("workflow of {organization_id}: {error}")))?;
    Ok((Workflow { stages }, row.version))
}

/// One task with everything about it.
///
/// # Errors
/// 404 for a task the caller may not see; database errors.
pub async fn task_detail(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    id: Uuid,
) -> Result<TaskOut, ApiError> {
    let (found, _) = visible_task(db, caller, id).await?;
    let (workflow, _) = workflow_of(db, caller.organization_id()).await?;
    let watchers = watchers_of(db, id).await?;
    let subtasks = task::Entity::find()
        .filter(task::Column::OrganizationId.eq(caller.organization_id()))
        .filter(task::Column::ParentId.eq(id))
        .order_by_asc(task::Column::Id)
        .limit(MAX_SUBTASKS_SHOWN)
        .all(db)
        .await?
        .into_iter()
        .map(|row| SubtaskOut { id: row.id, title: row.title, status: row.status })
        .collect();
    let recurrence = match (found.recurrence_id, found.recurrence_seq) {
        (Some(series_id), Some(sequence)) => {
            task_recurrence::Entity::find_by_id(series_id).one(db).await?.and_then(|series| {
                Some(RecurrenceOut {
                    series_id,
                    sequence,
                    rule: serde_json::from_str(&series.rule).ok()?,
                    active: series.active,
                    next_due_at: series.next_due_at,
                })
            })
        }
        _ => None,
    };
    let description = found.description.clone();
    let status_name =
        workflow.stage(&found.status).map_or_else(|| found.status.clone(), |stage| stage.name.clone());
    let allowed_transitions = workflow.allowed_from(&found.status).into_iter().map(str::to_owned).collect();
    let summary = summaries(db, vec![found]).await?.pop().ok_or(ApiError::NotFound)?;
    Ok(TaskOut {
        summary,
        description_html: crate::markdown::render(&description),
        description,
        status_name,
        allowed_transitions,
        watchers,
        subtasks,
        recurrence,
    })
}

/// How many of the organization's tasks are open and past their due time at `now`, for
/// analytics' daily snapshot; counted in the database.
///
/// # Errors
/// Database errors.
pub async fn overdue_count(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    task::Entity::find()
        .filter(task::Column::OrganizationId.eq(organization_id))
        .filter(task::Column::DueAt.lt(now))
        .filter(task::Column::Status.is_not_in([crate::workflow::DONE, crate::workflow::CANCELLED]))
        .count(db)
        .await
}
