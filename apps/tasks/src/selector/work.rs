//! A person's own tasks for their work card: the tasks among those most recently assigned to
//! them, read through the assignee index with a bounded window, so the card's cost does not
//! grow with how many tasks a person was ever given.

use sea_orm::sea_query::{Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
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
    let recent = Query::select()
        .column(task_assignee::Column::TaskId)
        .from(task_assignee::Entity)
        .and_where(task_assignee::Column::UserId.eq(user_id))
        .order_by(task_assignee::Column::TaskId, Order::Desc)
        .limit(window)
        .to_owned();
    let tasks = task::Entity::find()
        .filter(selection(caller, &TaskFilter::default()))
        .filter(task::Column::Id.in_subquery(recent))
        .all(db)
        .await?;
    let full = tasks.len() as u64 >= window;
    Ok((tasks, full))
}
