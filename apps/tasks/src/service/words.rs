//! A task's search words (`task_search_words`: the words of its title), kept in the
//! transaction of every write that sets the title: created with the task (and with each
//! occurrence of a recurring one), replaced when the title changes ([`super::task::save`]),
//! deleted with the task (the foreign key cascades, on SQLite too: the pools enforce foreign
//! keys).

use baseops_db::search;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::selector::search::WORDS;

/// The words the command palette finds a task by: those of its title.
pub fn words_of(title: &str) -> Vec<String> {
    search::words(&[title])
}

/// Inserts the words of many tasks' titles (`(task, title)`), a few thousand rows per
/// statement.
///
/// # Errors
/// Database errors.
pub async fn insert_words(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    tasks: &[(Uuid, &str)],
) -> Result<(), DbErr> {
    let words: Vec<(Uuid, Vec<String>)> = tasks.iter().map(|(id, title)| (*id, words_of(title))).collect();
    WORDS.insert(txn, organization_id, &words).await
}

/// Replaces a task's words when its title changed from `before` to `after`.
///
/// # Errors
/// Database errors.
pub(crate) async fn replace_words(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    task_id: Uuid,
    before: &str,
    after: &str,
) -> Result<(), DbErr> {
    let words = words_of(after);
    if words_of(before) == words {
        return Ok(());
    }
    WORDS.replace(txn, organization_id, task_id, words).await
}
