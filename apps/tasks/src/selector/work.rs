//! A person's own tasks for their work card: the tasks among those most recently assigned to
//! them, read through the assignee index with a bounded window, so the card's cost does not
//! grow with how many tasks a person was ever given.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::TaskFilter;
use super::list::selection;
use crate::Caller;
use crate::model::{task, task_assignee};

/// The tasks within the caller's reach among the `window` most recently assigned to
/// `user_id` (task ids are time-ordered), and whether the window was full (there may be
/// more).
///
/// # Errors
/// Database errors.
pub async fn recently_assigned(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    user_id: Uuid,
    window: u64,
) -> Result<(Vec<task::Model>, bool), DbErr> {
    // The window first, on its own: whether it is full is about the assignments, not about
    // how many of them are in this organization and within reach.
    let recent: Vec<Uuid> = task_assignee::Entity::find()
        .select_only()
        .column(task_assignee::Column::TaskId)
        .filter(task_assignee::Column::UserId.eq(user_id))
        .order_by_desc(task_assignee::Column::TaskId)
        .limit(window)
        .into_tuple()
        .all(db)
        .await?;
    let full = recent.len() as u64 >= window;
    let tasks = task::Entity::find()
        .filter(selection(caller, &TaskFilter::default()))
        .filter(task::Column::Id.is_in(recent))
        .all(db)
        .await?;
    Ok((tasks, full))
}
