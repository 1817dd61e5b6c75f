//! `audit_0002_unsealed_events`: events are recorded unsealed, so `seq`, `prev_hash` and
//! `hash` become nullable, and a partial index finds the unsealed ones for the sealer.
//!
//! PostgreSQL drops the three `NOT NULL` constraints in place (a catalog change). SQLite
//! cannot alter a column's constraints, so the table is rebuilt the way its documentation
//! prescribes (create the new table, copy, drop, rename, recreate the indexes), inside the
//! migration's transaction: a failure leaves the old table as it was. The existing rows,
//! their hashes and the unique `(chain, seq)` index are kept: NULL `seq`s never collide on
//! either engine, so unsealed events do not trip it.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::AuditEvents;

/// The sealer's index: only unsealed rows, in id (recording) order. It stays as small as
/// the sealing backlog, whatever the size of the trail.
const CREATE_UNSEALED_INDEX: &str =
    "CREATE INDEX audit_events_unsealed_idx ON audit_events (id) WHERE seq IS NULL";

pub(super) struct UnsealedEvents;

impl MigrationName for UnsealedEvents {
    fn name(&self) -> &str {
        "audit_0002_unsealed_events"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for UnsealedEvents {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL, \
                 ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL",
            )
            .await?;
        } else {
            rebuild_sqlite(manager, Chaining::Nullable).await?;
        }
        db.execute_unprepared(CREATE_UNSEALED_INDEX).await?;
        Ok(())
    }

    /// Fails while any event is unsealed (run the sealer first): the old schema has no
    /// place for one.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS audit_events_unsealed_idx").await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE audit_events ALTER COLUMN seq SET NOT NULL, \
                 ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL",
            )
            .await?;
            Ok(())
        } else {
            rebuild_sqlite(manager, Chaining::Required).await
        }
    }
}

/// Whether `seq`, `prev_hash` and `hash` may be NULL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Chaining {
    Nullable,
    Required,
}

/// Replaces `audit_events` by a copy whose chain columns are `chaining`, with every row and
/// index. The other columns are declared exactly as in `audit_0001`.
async fn rebuild_sqlite(manager: &SchemaManager<'_>, chaining: Chaining) -> Result<(), DbErr> {
    let chain_column = |column: AuditEvents| {
        let mut definition = ColumnDef::new(column);
        match column {
            AuditEvents::Seq => definition.big_integer(),
            _ => definition.string_len(64),
        };
        if chaining == Chaining::Nullable {
            definition.null();
        } else {
            definition.not_null();
        }
        definition
    };
    manager
        .create_table(
            Table::create()
                .table(Alias::new("audit_events_rebuilt"))
                .col(ColumnDef::new(AuditEvents::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(AuditEvents::Chain).text().not_null())
                .col(chain_column(AuditEvents::Seq))
                .col(ColumnDef::new(AuditEvents::OrganizationId).uuid().null())
                .col(ColumnDef::new(AuditEvents::ActorType).string_len(16).not_null())
                .col(ColumnDef::new(AuditEvents::ActorId).string_len(64).null())
                .col(ColumnDef::new(AuditEvents::Action).string_len(64).not_null())
                .col(ColumnDef::new(AuditEvents::EntityType).string_len(64).not_null())
                .col(ColumnDef::new(AuditEvents::EntityId).string_len(64).not_null())
                .col(ColumnDef::new(AuditEvents::Changes).text().not_null())
                .col(ColumnDef::new(AuditEvents::Ip).string_len(45).null())
                .col(ColumnDef::new(AuditEvents::UserAgent).string_len(256).null())
                .col(ColumnDef::new(AuditEvents::RequestId).string_len(128).not_null())
                .col(ColumnDef::new(AuditEvents::CreatedAt).string_len(32).not_null())
                .col(chain_column(AuditEvents::PrevHash))
                .col(chain_column(AuditEvents::Hash))
                .to_owned(),
        )
        .await?;
    let columns = "id, chain, seq, organization_id, actor_type, actor_id, action, entity_type, entity_id, \
                   changes, ip, user_agent, request_id, created_at, prev_hash, hash";
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "INSERT INTO audit_events_rebuilt ({columns}) SELECT {columns} FROM audit_events"
    ))
    .await?;
    // Dropping the table drops its indexes, freeing their names for the copy's.
    db.execute_unprepared("DROP TABLE audit_events").await?;
    db.execute_unprepared("ALTER TABLE audit_events_rebuilt RENAME TO audit_events").await?;
    // The indexes of `audit_0001`, as it created them.
    let indexes: [(&str, &[AuditEvents], bool); 5] = [
        ("audit_events_chain_seq_key", &[AuditEvents::Chain, AuditEvents::Seq], true),
        (
            "audit_events_organization_id_created_at_idx",
            &[AuditEvents::OrganizationId, AuditEvents::CreatedAt],
            false,
        ),
        ("audit_events_entity_idx", &[AuditEvents::EntityType, AuditEvents::EntityId], false),
        ("audit_events_actor_id_idx", &[AuditEvents::ActorId], false),
        ("audit_events_action_idx", &[AuditEvents::Action], false),
    ];
    for (name, columns, unique) in indexes {
        let mut index = Index::create();
        index.name(name).table(AuditEvents::Table);
        for column in columns {
            index.col(*column);
        }
        if unique {
            index.unique();
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}
