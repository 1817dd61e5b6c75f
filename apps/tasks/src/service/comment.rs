//! Comments: anyone who may comment on a task writes one; only its author edits or deletes
//! it, and only within `tasks.comment_edit_minutes` of writing it.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{ApiError, FieldErrors, Scope, check_version};
use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Checked, acting_user, within};
use crate::Caller;
use crate::event::TaskCommented;
use crate::model::task_comment;
use crate::selector::{comment_of, visible_task, watchers_of};

/// Longest comment (Markdown source).
pub const MAX_COMMENT_LEN: usize = 10_000;
/// Characters of a comment quoted in its notification.
const EXCERPT_LEN: usize = 140;

/// A comment's text.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// Markdown, 1–10,000 characters.
    #[schema(min_length = 1, max_length = 10_000)]
    pub body: String,
}

/// A comment's text, checked: 1 to [`MAX_COMMENT_LEN`] characters, not only blanks, kept as
/// written. Only [`CommentInput::check`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    /// The Markdown source.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl CommentInput {
    /// Checks the body.
    ///
    /// # Errors
    /// `body` when it is blank or longer than [`MAX_COMMENT_LEN`] characters.
    pub fn check(self) -> Result<CommentBody, FieldErrors> {
        let length = self.body.trim().chars().count();
        if length == 0 || self.body.chars().count() > MAX_COMMENT_LEN {
            let mut errors = FieldErrors::new();
            errors.add("body", format!("must be 1 to {MAX_COMMENT_LEN} characters"));
            return Err(errors);
        }
        Ok(CommentBody(self.body))
    }
}

/// Adds a comment to a task the caller may see, within their `tasks.comment` scope. `body`
/// was checked at the edge ([`CommentInput::check`]); its problems are reported once the task
/// is found and within the caller's scope.
///
/// # Errors
/// 404, 403, 422 for an empty or long body; database errors.
pub async fn comment_create(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    comment: Scope,
    task_id: Uuid,
    body: Checked<CommentBody>,
) -> Result<task_comment::Model, ApiError> {
    let (task, assignees) = visible_task(txn, caller, task_id).await?;
    within(comment, caller.owns(task.created_by, &assignees))?;
    let CommentBody(body) = body.map_err(ApiError::Validation)?;
    let model = task_comment::Model {
        id: Uuid::now_v7(),
        task_id,
        organization_id: caller.organization_id(),
        author_id: caller.user_id(),
        body,
        created_at: Utc::now(),
        edited_at: None,
        version: 1,
    };
    task_comment::Entity::insert(model.clone().into_active_model()).exec_without_returning(txn).await?;
    let changes = Changes::new().set("comment_id", None::<()>, model.id).set("body", None::<()>, &model.body);
    record(
        txn,
        AuditEntry::new(caller.acting, Some(caller.organization_id()), "task.comment", "task", task_id)
            .changes(changes),
    )
    .await?;
    let mut recipients = assignees;
    recipients.extend(watchers_of(txn, task_id).await?);
    let event = TaskCommented {
        task_id,
        title: task.title,
        comment_id: model.id,
        by: acting_user(caller),
        excerpt: model.body.chars().take(EXCERPT_LEN).collect(),
        recipients,
    };
    baseops_jobs::emit(txn, caller.acting, Some(caller.organization_id()), &event).await?;
    Ok(model)
}

/// 403 unless the caller wrote the comment and the edit window is still open.
fn check_author(
    caller: &Caller<'_>,
    comment: &task_comment::Model,
    window: Duration,
) -> Result<(), ApiError> {
    if comment.author_id != caller.user_id() {
        return Err(ApiError::Refused {
            code: "not_author",
            detail: "Only a comment's author may change it.".into(),
        });
    }
    if Utc::now() - comment.created_at > window {
        return Err(ApiError::Refused {
            code: "edit_window_closed",
            detail: format!(
                "Comments can be changed for {} minutes after writing them.",
                window.num_minutes()
            ),
        });
    }
    Ok(())
}

/// Edits a comment: its author, within the edit window. With `expected` (the client's
/// `If-Match`) the edit applies only at that version: one `UPDATE … WHERE id = ? AND
/// version = ?`, so of two edits holding the same version the second gets 412. Every edit
/// bumps the version; the same text again changes nothing and keeps it. `body` was checked
/// at the edge ([`CommentInput::check`]); its problems are reported after the author, the
/// window and the version are.
///
/// # Errors
/// 404, 403 `not_author` or `edit_window_closed`, 412 `version_mismatch`, 422; database
/// errors.
pub async fn comment_update(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    window: Duration,
    task_id: Uuid,
    comment_id: Uuid,
    expected: Option<i32>,
    body: Checked<CommentBody>,
) -> Result<task_comment::Model, ApiError> {
    let before = comment_of(txn, caller, task_id, comment_id).await?;
    check_author(caller, &before, window)?;
    check_version(before.version, expected)?;
    let CommentBody(body) = body.map_err(ApiError::Validation)?;
    if before.body == body {
        return Ok(before);
    }
    let mut update = task_comment::Entity::update_many()
        .col_expr(task_comment::Column::Body, Expr::value(body.clone()))
        .col_expr(task_comment::Column::EditedAt, Expr::value(Some(Utc::now())))
        .col_expr(task_comment::Column::Version, Expr::col(task_comment::Column::Version).add(1))
        .filter(task_comment::Column::Id.eq(comment_id));
    if let Some(expected) = expected {
        update = update.filter(task_comment::Column::Version.eq(expected));
    }
    if update.exec(txn).await?.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let changes = Changes::new().set("comment_id", comment_id, comment_id).set("body", &before.body, &body);
    record(
        txn,
        AuditEntry::new(caller.acting, Some(caller.organization_id()), "task.comment_edit", "task", task_id)
            .changes(changes),
    )
    .await?;
    comment_of(txn, caller, task_id, comment_id).await
}

/// Deletes a comment: its author, within the edit window.
///
/// # Errors
/// 404, 403 `not_author` or `edit_window_closed`; database errors.
pub async fn comment_delete(
    txn: &impl ConnectionTrait,
    caller: &Caller<'_>,
    window: Duration,
    task_id: Uuid,
    comment_id: Uuid,
) -> Result<(), ApiError> {
    let found = comment_of(txn, caller, task_id, comment_id).await?;
    check_author(caller, &found, window)?;
    task_comment::Entity::delete_by_id(comment_id).exec(txn).await?;
    let changes =
        Changes::new().set("comment_id", comment_id, None::<()>).set("body", &found.body, None::<()>);
    record(
        txn,
        AuditEntry::new(
            caller.acting,
            Some(caller.organization_id()),
            "task.comment_delete",
            "task",
            task_id,
        )
        .changes(changes),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_is_1_to_10000_characters_and_not_only_blanks() {
        let kept = CommentInput { body: "  **Done** \n".into() }.check().expect("accepted");
        assert_eq!(kept.as_str(), "  **Done** \n", "kept as written");
        assert!(CommentInput { body: "é".repeat(MAX_COMMENT_LEN) }.check().is_ok());
        for body in [String::new(), " \n\t".into(), "x".repeat(MAX_COMMENT_LEN + 1)] {
            let errors = CommentInput { body }.check().expect_err("refused");
            assert_eq!(errors.get("body"), Some(&["must be 1 to 10000 characters".to_owned()][..]));
        }
    }
}
