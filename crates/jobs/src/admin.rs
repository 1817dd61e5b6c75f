//! Operating the queue: list jobs, retry dead ones, purge finished ones. Used by
//! `baseops jobs …` and the superuser API.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::model::job;
use crate::queue::state;

/// Most jobs listed at once.
pub const MAX_LIST: u64 = 500;

/// Jobs, newest first, optionally in one state; `before` is the last id of the previous page;
/// at most one more than [`MAX_LIST`] (a page and the row that says another follows).
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    in_state: Option<&str>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<job::Model>, DbErr> {
    let mut query = job::Entity::find().order_by_desc(job::Column::Id).limit(limit.clamp(1, MAX_LIST + 1));
    if let Some(in_state) = in_state {
        query = query.filter(job::Column::State.eq(in_state));
    }
    if let Some(before) = before {
        query = query.filter(job::Column::Id.lt(before));
    }
    query.all(db).await
}

/// Puts dead jobs back in the queue with a fresh set of attempts: one (`Some(id)`) or all.
/// Returns how many were retried.
///
/// # Errors
/// Database errors.
pub async fn retry_dead(db: &impl ConnectionTrait, id: Option<Uuid>) -> Result<u64, DbErr> {
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(state::PENDING))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(Utc::now()))
        .col_expr(job::Column::FinishedAt, Expr::value(None::<DateTime<Utc>>))
        .filter(job::Column::State.eq(state::DEAD));
    if let Some(id) = id {
        update = update.filter(job::Column::Id.eq(id));
    }
    let retried = update.exec(db).await?.rows_affected;
    if retried > 0 {
        crate::worker::wake_local();
    }
    Ok(retried)
}

/// Deletes done and dead jobs that finished before `cutoff`; returns how many.
///
/// # Errors
/// Database errors.
pub async fn purge(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    let deleted = job::Entity::delete_many()
        .filter(job::Column::State.is_in([state::DONE, state::DEAD]))
        .filter(job::Column::FinishedAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
