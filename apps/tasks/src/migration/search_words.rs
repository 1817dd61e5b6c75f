//! `tasks_0003_search_words`: the command palette's word-prefix search. `task_search_words`
//! holds the words of each task's title (see [`crate::service::words`]) keyed by
//! (organization, word, task), so a prefix is an index range scan rather than `LIKE '%…%'`
//! over every task. The word compares byte by byte on both engines (`COLLATE "C"` on
//! PostgreSQL, SQLite's default binary collation); on SQLite the table is `WITHOUT ROWID`.
//! The words go with their task (the foreign key cascades); the index on `task_id` serves
//! that and replacing them. Existing tasks are filled in, 1,000 at a time in id order.

use sea_orm_migration::prelude::*;

use crate::selector::search::WORDS;
use crate::service::words::words_of;

pub(super) struct SearchWords;

impl MigrationName for SearchWords {
    fn name(&self) -> &str {
        "tasks_0003_search_words"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SearchWords {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        WORDS.create(manager, "tasks").await?;
        WORDS
            .backfill(manager.get_connection(), "tasks", &["title"], |row| {
                Ok(words_of(&row.try_get::<String>("", "title")?))
            })
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new(WORDS.table)).to_owned()).await
    }
}
