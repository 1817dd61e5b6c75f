//! Keeping an app's words table ([`WordTable`]) for the command palette's prefix search:
//! creating it in a migration, filling it for the records that exist, and writing a record's
//! words in the transaction of the write that changes them. One implementation for every app,
//! so each table compares words byte by byte on both engines and is keyed the same way.

use sea_orm::prelude::Uuid;
use sea_orm::sea_query::{Alias, ColumnDef, Expr, ExprTrait, Index, Order, Query, SimpleExpr, Table};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult};
use sea_orm_migration::SchemaManager;

use crate::schema::{cascade_fk, index};
use crate::search::{MAX_WORD_CHARS, WordTable};

/// Most word rows per `INSERT` (3 values each: far under either engine's parameter limit).
const ROWS_PER_INSERT: usize = 5000;
/// Records read per round when filling the table for existing records.
const BACKFILL_BATCH: u64 = 1000;

impl WordTable {
    /// Creates the table: `(organization_id, word, <record>)` as its key, the word compared
    /// byte by byte (`COLLATE "C"` on PostgreSQL, SQLite's binary default), `WITHOUT ROWID`
    /// on SQLite (the key is the table), rows deleted with their record of `parent` (whose
    /// key is `id`), and an index on the record for replacing its words.
    ///
    /// # Errors
    /// Database errors.
    pub async fn create(&self, manager: &SchemaManager<'_>, parent: &'static str) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let (table, record) = (Alias::new(self.table), Alias::new(self.record));
        let mut word = ColumnDef::new(Alias::new("word"));
        word.string_len(u32::try_from(MAX_WORD_CHARS).unwrap_or(64)).not_null();
        if backend == DbBackend::Postgres {
            word.extra("COLLATE \"C\"");
        }
        let create = Table::create()
            .table(table.clone())
            .col(ColumnDef::new(Alias::new("organization_id")).uuid().not_null())
            .col(&mut word)
            .col(ColumnDef::new(record.clone()).uuid().not_null())
            .primary_key(
                Index::create()
                    .col(Alias::new("organization_id"))
                    .col(Alias::new("word"))
                    .col(record.clone()),
            )
            .foreign_key(&mut cascade_fk(
                &format!("fk_{}_{}", self.table, self.record),
                (table.clone(), record.clone()),
                (Alias::new(parent), Alias::new("id")),
            ))
            .to_owned();
        if backend == DbBackend::Sqlite {
            let sql = format!("{} WITHOUT ROWID", backend.build(&create).sql);
            manager.get_connection().execute_unprepared(&sql).await?;
        } else {
            manager.create_table(create).await?;
        }
        manager.create_index(index(&format!("ix_{}_{}", self.table, self.record), table, [record])).await
    }

    /// Fills the table for the records of `parent` that exist, reading `columns` (with `id`
    /// and `organization_id`) a thousand records at a time in id order; `words` makes a
    /// record's words from its row.
    ///
    /// # Errors
    /// Database errors.
    pub async fn backfill(
        &self,
        db: &impl ConnectionTrait,
        parent: &'static str,
        columns: &[&'static str],
        words: impl Fn(&QueryResult) -> Result<Vec<String>, DbErr>,
    ) -> Result<(), DbErr> {
        let mut after: Option<Uuid> = None;
        loop {
            let mut select = Query::select();
            select
                .columns(["id", "organization_id"].iter().chain(columns).map(|column| Alias::new(*column)))
                .from(Alias::new(parent))
                .order_by(Alias::new("id"), Order::Asc)
                .limit(BACKFILL_BATCH);
            if let Some(last) = after {
                select.and_where(Expr::col(Alias::new("id")).gt(last));
            }
            let rows = db.query_all(&select).await?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = Some(last.try_get("", "id")?);
            let mut values = Vec::new();
            for row in &rows {
                let (organization, id): (Uuid, Uuid) =
                    (row.try_get("", "organization_id")?, row.try_get("", "id")?);
                values.extend(words(row)?.into_iter().map(|word| value(organization, word, id)));
            }
            self.insert_values(db, values).await?;
        }
    }

    /// Inserts the words of records of one organization (`(record, words)`).
    ///
    /// # Errors
    /// Database errors.
    pub async fn insert(
        &self,
        db: &impl ConnectionTrait,
        organization_id: Uuid,
        records: &[(Uuid, Vec<String>)],
    ) -> Result<(), DbErr> {
        let values = records
            .iter()
            .flat_map(|(id, words)| words.iter().map(|word| value(organization_id, word.clone(), *id)))
            .collect();
        self.insert_values(db, values).await
    }

    /// Replaces a record's words with `words`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn replace(
        &self,
        db: &impl ConnectionTrait,
        organization_id: Uuid,
        record_id: Uuid,
        words: Vec<String>,
    ) -> Result<(), DbErr> {
        let delete = Query::delete()
            .from_table(Alias::new(self.table))
            .and_where(Expr::col(Alias::new(self.record)).eq(record_id))
            .to_owned();
        db.execute(&delete).await?;
        self.insert(db, organization_id, &[(record_id, words)]).await
    }

    async fn insert_values(
        &self,
        db: &impl ConnectionTrait,
        rows: Vec<[SimpleExpr; 3]>,
    ) -> Result<(), DbErr> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut insert = Query::insert();
            insert.into_table(Alias::new(self.table)).columns([
                Alias::new("organization_id"),
                Alias::new("word"),
                Alias::new(self.record),
            ]);
            for row in chunk {
                insert.values_panic(row.clone());
            }
            db.execute(&insert).await?;
        }
        Ok(())
    }
}

/// One row of a words table, as values for an `INSERT`.
fn value(organization_id: Uuid, word: String, record_id: Uuid) -> [SimpleExpr; 3] {
    [organization_id.into(), word.into(), record_id.into()]
}
