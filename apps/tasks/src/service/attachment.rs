//! Attachments: the bytes go to the storage service, the record to `task_attachments`.
//! The handler stores the file first (under a key made of ids) and then calls
//! [`attachment_create`] in the transaction; if that fails, it deletes the stored file again.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{ApiError, Scope};
use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::within;
use crate::Caller;
use crate::model::task_attachment;
use crate::selector::{attachment_of, visible_task};

/// Most attachments per task.
pub const MAX_ATTACHMENTS: u64 = 100;
/// Longest file name kept.
pub const MAX_FILE_NAME_LEN: usize = 255;

/// The storage key of an attachment: ids only, never the client's file name.
pub fn storage_key(organization_id: Uuid, task_id: Uuid, attachment_id: Uuid) -> String {
    format!("tasks/{organization_id}/{task_id}/{attachment_id}")
}

/// A file name fit for display and `Content-Disposition`: no path, no control or quote
/// characters, 1 to [`MAX_FILE_NAME_LEN`] characters. Only [`clean_file_name`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The client's file name made clean: its last path part, without control or quote
/// characters, cut to [`MAX_FILE_NAME_LEN`] characters.
///
/// # Errors
/// 422 when nothing is left.
pub fn clean_file_name(name: &str) -> Result<FileName, ApiError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | ';')).take(MAX_FILE_NAME_LEN).collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        return Err(ApiError::invalid("file_name", "must name the file (1 to 255 characters)"));
    }
    Ok(FileName(cleaned))
}

/// Checks that the caller may attach files to the task: visible, within their `tasks.edit`
/// scope, under the per-task limit.
///
/// # Errors
/// 404, 403, 409 `too_many_attachments`; database errors.
pub async fn attachment_allowed(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    edit: Scope,
    task_id: Uuid,
) -> Result<(), ApiError> {
    let (task, assignees) = visible_task(db, caller, task_id).await?;
    within(edit, caller.owns(task.created_by, &assignees))?;
    let count =
        task_attachment::Entity::find().filter(task_attachment::Column::TaskId.eq(task_id)).count(db).await?;
    if count >= MAX_ATTACHMENTS {
        return Err(ApiError::Conflict {
            code: "too_many_attachments",
            detail: format!("A task has at most {MAX_ATTACHMENTS} attachments."),
        });
    }
    Ok(())
}

/// Records an attachment whose bytes are already stored under `stored.key`; the file name was
/// cleaned at the edge ([`clean_file_name`]).
///
/// # Errors
/// As [`attachment_allowed`]; database errors.
pub async fn attachment_create(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    edit: Scope,
    task_id: Uuid,
    attachment_id: Uuid,
    file_name: FileName,
    stored: &baseops_storage::StoredFile,
) -> Result<task_attachment::Model, ApiError> {
    attachment_allowed(txn, caller, edit, task_id).await?;
    let model = task_attachment::Model {
        id: attachment_id,
        task_id,
        organization_id: caller.organization_id(),
        file_name: file_name.0,
        content_type: stored.content_type.clone(),
        size_bytes: i64::try_from(stored.size).unwrap_or(i64::MAX),
        storage_key: stored.key.clone(),
        uploaded_by: caller.user_id(),
        created_at: Utc::now(),
    };
    task_attachment::Entity::insert(model.clone().into_active_model()).exec_without_returning(txn).await?;
    let changes = Changes::new()
        .set("attachment_id", None::<()>, model.id)
        .set("file_name", None::<()>, &model.file_name)
        .set("size_bytes", None::<()>, model.size_bytes);
    record(
        txn,
        AuditEntry::new(caller.acting, Some(caller.organization_id()), "task.attach", "task", task_id)
            .changes(changes),
    )
    .await?;
    Ok(model)
}

/// Deletes an attachment's record and returns its storage key, to delete after commit.
///
/// # Errors
/// 404, 403 outside the caller's `tasks.edit` scope; database errors.
pub async fn attachment_delete(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    edit: Scope,
    task_id: Uuid,
    attachment_id: Uuid,
) -> Result<String, ApiError> {
    let (task, assignees) = visible_task(txn, caller, task_id).await?;
    within(edit, caller.owns(task.created_by, &assignees))?;
    let found = attachment_of(txn, caller, task_id, attachment_id).await?;
    task_attachment::Entity::delete_by_id(attachment_id).exec(txn).await?;
    let changes = Changes::new().set("attachment_id", attachment_id, None::<()>).set(
        "file_name",
        &found.file_name,
        None::<()>,
    );
    record(
        txn,
        AuditEntry::new(caller.acting, Some(caller.organization_id()), "task.detach", "task", task_id)
            .changes(changes),
    )
    .await?;
    Ok(found.storage_key)
}

/// The storage keys of a task's attachments.
pub(crate) async fn keys_of(db: &impl ConnectionTrait, task_id: Uuid) -> Result<Vec<String>, DbErr> {
    Ok(task_attachment::Entity::find()
        .filter(task_attachment::Column::TaskId.eq(task_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.storage_key)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_path_and_what_would_break_a_header() {
        let clean = |name: &str| clean_file_name(name).map(|name| name.as_str().to_owned()).ok();
        assert_eq!(clean("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(clean("C:\\Users\\ada\\q3 \"final\";.pdf").as_deref(), Some("q3 final.pdf"));
        assert_eq!(clean(&"x".repeat(300)).map(|name| name.chars().count()), Some(MAX_FILE_NAME_LEN));
        for empty in ["", "..", "dir/", " \u{7}\n"] {
            assert_eq!(clean(empty), None, "{empty:?}");
        }
    }
}
