//! What hangs off a task: its comments, attachments and activity history.

use baseops_audit::{AuditEvent, EventFilter};
use baseops_core::ApiError;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::visible_task;
use crate::Caller;
use crate::model::{task_attachment, task_comment};

/// Most comments or attachments in one answer.
pub const MAX_ITEMS: u64 = 200;

/// A comment as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CommentOut {
    /// Id.
    pub id: Uuid,
    /// The task.
    pub task_id: Uuid,
    /// Who wrote it.
    pub author_id: Uuid,
    /// Markdown source.
    pub body: String,
    /// Rendered, safe HTML.
    pub body_html: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Bumped by every edit: send it as `If-Match: "<version>"` to edit the comment.
    pub version: i32,
}

impl From<task_comment::Model> for CommentOut {
    fn from(row: task_comment::Model) -> Self {
        Self {
            id: row.id,
            task_id: row.task_id,
            author_id: row.author_id,
            body_html: crate::markdown::render(&row.body),
            body: row.body,
            created_at: row.created_at,
            edited_at: row.edited_at,
            version: row.version,
        }
    }
}

/// An attachment's record (the bytes are at its download link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AttachmentOut {
    /// Id.
    pub id: Uuid,
    /// The task.
    pub task_id: Uuid,
    /// The file's name as uploaded.
    pub file_name: String,
    /// Its media type.
    pub content_type: String,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// Who uploaded it.
    pub uploaded_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<task_attachment::Model> for AttachmentOut {
    fn from(row: task_attachment::Model) -> Self {
        Self {
            id: row.id,
            task_id: row.task_id,
            file_name: row.file_name,
            content_type: row.content_type,
            size_bytes: row.size_bytes,
            uploaded_by: row.uploaded_by,
            created_at: row.created_at,
        }
    }
}

/// A task's comments, oldest first (at most 200 after `after`).
///
/// # Errors
/// 404 for a task the caller may not see; database errors.
pub async fn comments_of(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    task_id: Uuid,
    after: Option<Uuid>,
) -> Result<Vec<CommentOut>, ApiError> {
    visible_task(db, caller, task_id).await?;
    let mut query = task_comment::Entity::find().filter(task_comment::Column::TaskId.eq(task_id));
    if let Some(after) = after {
        query = query.filter(task_comment::Column::Id.gt(after));
    }
    let rows = query.order_by_asc(task_comment::Column::Id).limit(MAX_ITEMS).all(db).await?;
    Ok(rows.into_iter().map(CommentOut::from).collect())
}

/// One comment of a task the caller may see.
///
/// # Errors
/// 404; database errors.
pub async fn comment_of(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    task_id: Uuid,
    comment_id: Uuid,
) -> Result<task_comment::Model, ApiError> {
    visible_task(db, caller, task_id).await?;
    task_comment::Entity::find_by_id(comment_id)
        .filter(task_comment::Column::TaskId.eq(task_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// A task's attachments, oldest first (at most 200).
///
/// # Errors
/// 404 for a task the caller may not see; database errors.
pub async fn attachments_of(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    task_id: Uuid,
) -> Result<Vec<AttachmentOut>, ApiError> {
    visible_task(db, caller, task_id).await?;
    let rows = task_attachment::Entity::find()
        .filter(task_attachment::Column::TaskId.eq(task_id))
        .order_by_asc(task_attachment::Column::Id)
        .limit(MAX_ITEMS)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(AttachmentOut::from).collect())
}

/// One attachment of a task the caller may see.
///
/// # Errors
/// 404; database errors.
pub async fn attachment_of(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    task_id: Uuid,
    attachment_id: Uuid,
) -> Result<task_attachment::Model, ApiError> {
    visible_task(db, caller, task_id).await?;
    task_attachment::Entity::find_by_id(attachment_id)
        .filter(task_attachment::Column::TaskId.eq(task_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// A page of a task's history.
pub type ActivityPage = baseops_audit::Page<AuditEvent>;

/// A task's history, newest first: its audit events (creation, every change, comments,
/// attachments), a page at a time.
///
/// # Errors
/// 404 for a task the caller may not see, 400 `invalid_cursor`; database errors.
pub async fn activity(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    task_id: Uuid,
    limit: Option<u64>,
    cursor: Option<String>,
) -> Result<ActivityPage, ApiError> {
    visible_task(db, caller, task_id).await?;
    let filter = EventFilter {
        organization_id: Some(caller.organization_id()),
        entity_type: Some("task".to_owned()),
        entity_id: Some(task_id.to_string()),
        limit,
        cursor,
        ..EventFilter::default()
    };
    Ok(baseops_audit::list(db, &filter).await?)
}
