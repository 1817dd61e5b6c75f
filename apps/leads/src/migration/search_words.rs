//! `leads_0004_search_words`: the command palette's word-prefix search. `lead_search_words`
//! holds each lead's words (name, e-mail address and its local part, company, phone digits;
//! see [`crate::service::lead::words`]) keyed by (organization, word, lead), so a prefix is
//! an index range scan rather than `LIKE '%…%'` over every lead. The word compares byte by
//! byte on both engines (`COLLATE "C"` on PostgreSQL, SQLite's default binary collation);
//! on SQLite the table is `WITHOUT ROWID` (the key is the table). The words go with their
//! lead (the foreign key cascades); the index on `lead_id` serves that and replacing them.
//! Existing leads are filled in, 1,000 at a time in id order (`baseops_db`'s `WordTable`).

use sea_orm_migration::prelude::*;

use crate::selector::search::WORDS;
use crate::service::lead::words::words_of;

pub(super) struct SearchWords;

impl MigrationName for SearchWords {
    fn name(&self) -> &str {
        "leads_0004_search_words"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SearchWords {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        WORDS.create(manager, "leads").await?;
        let columns = ["first_name", "last_name", "email", "company", "phone"];
        WORDS
            .backfill(manager.get_connection(), "leads", &columns, |row| {
                let text = |column| row.try_get::<Option<String>>("", column);
                Ok(words_of(
                    &text("first_name")?.unwrap_or_default(),
                    &text("last_name")?.unwrap_or_default(),
                    text("email")?.as_deref(),
                    text("company")?.as_deref(),
                    text("phone")?.as_deref(),
                ))
            })
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new(WORDS.table)).to_owned()).await
    }
}
