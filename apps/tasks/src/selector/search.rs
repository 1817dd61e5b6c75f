//! The command palette's task search: word prefixes of titles over `task_search_words`
//! ([`baseops_db::search`]), so a keystroke reads an index range and a few tasks, never the
//! whole table. Only tasks the caller may see come back (the list's own condition).

use baseops_core::ApiError;
use baseops_db::search::{self, WordTable};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::list::{TaskFilter, selection};
use crate::Caller;
use crate::model::task;
use crate::service::words::words_of;

/// The tasks app's words table.
pub const WORDS: WordTable = WordTable { table: "task_search_words", record: "task_id" };

/// The caller's tasks with a title word starting with each word of `q`, exact words first,
/// then newest; at most `limit`. Nothing for a query without a word.
///
/// # Errors
/// Database errors.
pub async fn search(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    q: &str,
    limit: usize,
) -> Result<Vec<task::Model>, ApiError> {
    let reach = selection(caller, &TaskFilter::default());
    search::search(db, WORDS, caller.organization_id(), q, limit, |ids| {
        let reach = reach.clone();
        async move {
            let found =
                task::Entity::find().filter(reach).filter(task::Column::Id.is_in(ids)).all(db).await?;
            Ok::<_, ApiError>(
                found.into_iter().map(|model| (model.id, words_of(&model.title), model)).collect(),
            )
        }
    })
    .await
}
