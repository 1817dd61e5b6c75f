//! Task lists: filters, sorting and keyset (cursor) pagination, and the board.
//!
//! Every list starts from one organization and pages by `(sort key, id)`: the default order
//! (newest first) walks the `(organization_id, id)` index backwards and a status filter the
//! `(organization_id, status, id)` index, so a page reads about `limit` rows however many
//! tasks the organization has. A page is fetched with `limit + 1` rows to know whether
//! another follows.

use baseops_core::{ApiError, BoundedCount, Cursor, Paging, Scope, invalid_cursor};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{TaskSummary, summaries, workflow_of};
use crate::model::{task, task_assignee, task_label};
use crate::workflow::{CANCELLED, DONE};
use crate::{Caller, Priority};

pub use baseops_core::MAX_LIMIT;

/// Most tasks shown per board column: the platform's one page-size limit, as the document
/// says for every `limit`.
pub const MAX_BOARD_LIMIT: u64 = MAX_LIMIT;
/// Most statuses one filter may name.
pub const MAX_STATUSES: usize = 20;
/// Longest search text.
pub const MAX_QUERY_LEN: usize = 200;

/// The orders a list can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum Sort {
    /// Newest first (the default).
    #[default]
    #[serde(rename = "-created")]
    CreatedDesc,
    /// Oldest first.
    #[serde(rename = "created")]
    CreatedAsc,
    /// Soonest due first; tasks without a due date last.
    #[serde(rename = "due")]
    DueAsc,
    /// Latest due first; tasks without a due date last.
    #[serde(rename = "-due")]
    DueDesc,
    /// Most urgent first.
    #[serde(rename = "-priority")]
    PriorityDesc,
    /// Least urgent first.
    #[serde(rename = "priority")]
    PriorityAsc,
    /// Most recently changed first.
    #[serde(rename = "-updated")]
    UpdatedDesc,
    /// Least recently changed first.
    #[serde(rename = "updated")]
    UpdatedAsc,
}

impl Sort {
    fn descending(self) -> bool {
        matches!(self, Self::CreatedDesc | Self::DueDesc | Self::PriorityDesc | Self::UpdatedDesc)
    }

    fn order(self) -> Order {
        if self.descending() { Order::Desc } else { Order::Asc }
    }

    /// The name clients give (`-created`), which cursors are made for.
    pub fn name(self) -> &'static str {
        match self {
            Self::CreatedDesc => "-created",
            Self::CreatedAsc => "created",
            Self::DueAsc => "due",
            Self::DueDesc => "-due",
            Self::PriorityDesc => "-priority",
            Self::PriorityAsc => "priority",
            Self::UpdatedDesc => "-updated",
            Self::UpdatedAsc => "updated",
        }
    }
}

/// Which tasks to list; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Any of these stages.
    pub statuses: Vec<String>,
    /// Assigned to this user.
    pub assignee: Option<Uuid>,
    /// Carrying this label.
    pub label: Option<String>,
    /// Of this priority.
    pub priority: Option<Priority>,
    /// Due strictly before.
    pub due_before: Option<DateTime<Utc>>,
    /// Due at or after.
    pub due_after: Option<DateTime<Utc>>,
    /// `true`: open and past due; `false`: not overdue.
    pub overdue: Option<bool>,
    /// About records of this type.
    pub related_type: Option<String>,
    /// About this record.
    pub related_id: Option<Uuid>,
    /// Sub-tasks of this task.
    pub parent_id: Option<Uuid>,
    /// Text in the title or description (case-insensitive).
    pub q: Option<String>,
    /// The order.
    pub sort: Sort,
    /// Page size.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of tasks.
pub type Page = baseops_core::Page<TaskSummary>;

/// The cursor value of a row: its sort key, `null` for the creation order or no due date.
fn sort_value(sort: Sort, row: &task::Model) -> serde_json::Value {
    let value = match sort {
        Sort::CreatedAsc | Sort::CreatedDesc => None,
        Sort::DueAsc | Sort::DueDesc => row.due_at.map(|due| due.timestamp_micros()),
        Sort::PriorityAsc | Sort::PriorityDesc => Some(i64::from(row.priority)),
        Sort::UpdatedAsc | Sort::UpdatedDesc => Some(row.updated_at.timestamp_micros()),
    };
    value.map_or(serde_json::Value::Null, serde_json::Value::from)
}

fn micros(value: i64) -> Result<DateTime<Utc>, ApiError> {
    DateTime::from_timestamp_micros(value).ok_or_else(invalid_cursor)
}

/// Rows after the cursor, in the sort's order.
fn after(sort: Sort, cursor: &Cursor) -> Result<Condition, ApiError> {
    let id = task::Column::Id;
    let past_id = if sort.descending() { id.lt(cursor.id) } else { id.gt(cursor.id) };
    let keyed = |column: task::Column, value: sea_orm::Value| {
        let beyond = if sort.descending() { column.lt(value.clone()) } else { column.gt(value.clone()) };
        Condition::any().add(beyond).add(Condition::all().add(column.eq(value)).add(past_id.clone()))
    };
    Ok(match sort {
        Sort::CreatedAsc | Sort::CreatedDesc => Condition::all().add(past_id),
        Sort::PriorityAsc | Sort::PriorityDesc => {
            let rank = i16::try_from(cursor.value_i64()?).map_err(|_| invalid_cursor())?;
            keyed(task::Column::Priority, rank.into())
        }
        Sort::UpdatedAsc | Sort::UpdatedDesc => {
            keyed(task::Column::UpdatedAt, micros(cursor.value_i64()?)?.into())
        }
        // Undated tasks come last in both directions.
        Sort::DueAsc | Sort::DueDesc => match cursor.value.as_i64() {
            Some(value) => {
                keyed(task::Column::DueAt, micros(value)?.into()).add(task::Column::DueAt.is_null())
            }
            None => Condition::all().add(task::Column::DueAt.is_null()).add(past_id),
        },
    })
}

/// The filter's conditions (not the cursor), within the caller's organization and scope.
pub(super) fn selection(caller: &Caller<'_>, filter: &TaskFilter) -> Condition {
    let mut condition = Condition::all().add(task::Column::OrganizationId.eq(caller.organization_id()));
    let assigned_to = |user_id: Uuid| {
        task::Column::Id.in_subquery(
            Query::select()
                .column(task_assignee::Column::TaskId)
                .from(task_assignee::Entity)
                .and_where(task_assignee::Column::UserId.eq(user_id))
                .to_owned(),
        )
    };
    if caller.view.scope == Scope::Own {
        condition = condition.add(
            Condition::any()
                .add(task::Column::CreatedBy.eq(caller.user_id()))
                .add(assigned_to(caller.user_id())),
        );
    }
    match filter.statuses.as_slice() {
        [] => {}
        [one] => condition = condition.add(task::Column::Status.eq(one.as_str())),
        many => condition = condition.add(task::Column::Status.is_in(many.iter().map(String::as_str))),
    }
    if let Some(user_id) = filter.assignee {
        condition = condition.add(assigned_to(user_id));
    }
    if let Some(label) = &filter.label {
        condition = condition.add(
            task::Column::Id.in_subquery(
                Query::select()
                    .column(task_label::Column::TaskId)
                    .from(task_label::Entity)
                    .and_where(task_label::Column::OrganizationId.eq(caller.organization_id()))
                    .and_where(task_label::Column::Label.eq(label.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(priority) = filter.priority {
        condition = condition.add(task::Column::Priority.eq(priority.rank()));
    }
    if let Some(before) = filter.due_before {
        condition = condition.add(task::Column::DueAt.lt(before));
    }
    if let Some(after) = filter.due_after {
        condition = condition.add(task::Column::DueAt.gte(after));
    }
    let overdue = Condition::all()
        .add(task::Column::DueAt.lt(Utc::now()))
        .add(task::Column::Status.is_not_in([DONE, CANCELLED]));
    match filter.overdue {
        Some(true) => condition = condition.add(overdue),
        Some(false) => condition = condition.add(overdue.not()),
        None => {}
    }
    if let Some(related_type) = &filter.related_type {
        condition = condition.add(task::Column::RelatedType.eq(related_type.as_str()));
    }
    if let Some(related_id) = filter.related_id {
        condition = condition.add(task::Column::RelatedId.eq(related_id));
    }
    if let Some(parent_id) = filter.parent_id {
        condition = condition.add(task::Column::ParentId.eq(parent_id));
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        // LOWER(…) LIKE lower(pattern) is case-insensitive on both databases (SQLite's LIKE
        // already is for ASCII; PostgreSQL's lower() covers Unicode too).
        let escaped: String = text
            .to_lowercase()
            .chars()
            .flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] })
            .collect();
        let pattern = format!("%{escaped}%");
        let like = |column: task::Column| {
            Expr::expr(Func::lower(Expr::col((task::Entity, column))))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        condition = condition
            .add(Condition::any().add(like(task::Column::Title)).add(like(task::Column::Description)));
    }
    condition
}

fn ordered(query: sea_orm::Select<task::Entity>, sort: Sort) -> sea_orm::Select<task::Entity> {
    let order = sort.order();
    let query = match sort {
        Sort::CreatedAsc | Sort::CreatedDesc => query,
        Sort::DueAsc | Sort::DueDesc => query
            .order_by(Expr::col((task::Entity, task::Column::DueAt)).is_null(), Order::Asc)
            .order_by(task::Column::DueAt, order.clone()),
        Sort::PriorityAsc | Sort::PriorityDesc => query.order_by(task::Column::Priority, order.clone()),
        Sort::UpdatedAsc | Sort::UpdatedDesc => query.order_by(task::Column::UpdatedAt, order.clone()),
    };
    query.order_by(task::Column::Id, order)
}

/// How many of the caller's tasks match `filter` (its cursor aside), counted up to `bound`.
///
/// # Errors
/// Database errors.
pub async fn count(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    filter: &TaskFilter,
    bound: u64,
) -> Result<BoundedCount, sea_orm::DbErr> {
    let found = task::Entity::find()
        .select_only()
        .column(task::Column::Id)
        .filter(selection(caller, filter))
        .limit(BoundedCount::fetch(bound))
        .count(db)
        .await?;
    Ok(BoundedCount::of(found, bound))
}

/// One page of the caller's tasks matching `filter`.
///
/// # Errors
/// 400 `invalid_cursor`; database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    filter: &TaskFilter,
) -> Result<Page, ApiError> {
    let sort = filter.sort;
    let paging = Paging::new(filter.limit, filter.cursor.as_deref(), sort.name())?;
    let mut condition = selection(caller, filter);
    if let Some(cursor) = &paging.after {
        if cursor.value.as_i64().is_none() && !serde_json::Value::is_null(&cursor.value) {
            return Err(invalid_cursor());
        }
        condition = condition.add(after(sort, cursor)?);
    }
    let rows = ordered(task::Entity::find().filter(condition), sort).limit(paging.fetch()).all(db).await?;
    let page = paging.page(rows, sort.name(), |row| (sort_value(sort, row), row.id), |row| row);
    Ok(Page { items: summaries(db, page.items).await?, next_cursor: page.next_cursor })
}

/// One column of the board: a stage, how many tasks are in it, and the first of them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = TaskBoardColumn)]
pub struct BoardColumn {
    /// Stage key.
    pub status: String,
    /// Stage name.
    pub name: String,
    /// Matching tasks in this stage.
    pub count: u64,
    /// The first `limit` of them, in the requested order.
    pub tasks: Vec<TaskSummary>,
}

/// The board: every stage of the workflow, in order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = TaskBoard)]
pub struct Board {
    /// One column per stage.
    pub columns: Vec<BoardColumn>,
}

/// The caller's tasks matching `filter` (its statuses and cursor ignored), grouped by stage
/// in workflow order, with counts and the first `filter.limit` (default 20, at most 100) of
/// each column.
///
/// # Errors
/// Database errors.
pub async fn board(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    filter: &TaskFilter,
) -> Result<Board, ApiError> {
    let limit = filter.limit.unwrap_or(20).clamp(1, MAX_BOARD_LIMIT);
    let (workflow, _) = workflow_of(db, caller.organization_id()).await?;
    let base = TaskFilter { statuses: Vec::new(), cursor: None, ..filter.clone() };
    let mut columns = Vec::with_capacity(workflow.stages.len());
    for stage in &workflow.stages {
        let condition = selection(caller, &base).add(task::Column::Status.eq(stage.key.as_str()));
        let count = task::Entity::find().filter(condition.clone()).count(db).await?;
        let rows = if count == 0 {
            Vec::new()
        } else {
            ordered(task::Entity::find().filter(condition), filter.sort).limit(limit).all(db).await?
        };
        columns.push(BoardColumn {
            status: stage.key.clone(),
            name: stage.name.clone(),
            count,
            tasks: summaries(db, rows).await?,
        });
    }
    Ok(Board { columns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_name_their_sort_and_junk_is_refused() {
        let row = task::Model {
            id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            title: "t".into(),
            description: String::new(),
            status: "todo".into(),
            priority: 2,
            due_at: None,
            estimate_minutes: None,
            parent_id: None,
            related_type: None,
            related_id: None,
            recurrence_id: None,
            recurrence_seq: None,
            overdue_notified_for: None,
            created_by: Uuid::now_v7(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            completed_at: None,
            version: 1,
        };
        let sort = Sort::PriorityDesc;
        let cursor = Cursor::encode(sort.name(), sort_value(sort, &row), row.id);
        let decoded = Cursor::decode(sort.name(), &cursor).unwrap();
        assert_eq!((decoded.value_i64().unwrap(), decoded.id), (2, row.id));
        assert!(after(sort, &decoded).is_ok());
        assert!(Cursor::decode(Sort::CreatedDesc.name(), &cursor).is_err(), "a cursor of another sort");
        for junk in ["", "!!", "e30", &"a".repeat(600), "' OR 1=1 --"] {
            assert!(Cursor::decode(sort.name(), junk).is_err(), "{junk}");
        }
        let due = Cursor::encode(Sort::DueAsc.name(), sort_value(Sort::DueAsc, &row), row.id);
        let undated = Cursor::decode(Sort::DueAsc.name(), &due).unwrap();
        assert!(serde_json::Value::is_null(&undated.value), "an undated task's cursor carries no due date");
        assert!(after(Sort::DueAsc, &undated).is_ok());
    }
}
