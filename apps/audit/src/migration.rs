//! The audit app's migrations, oldest first.
//!
//! `audit_events.organization_id` has no foreign key on purpose: organizations live in
//! another app, and an audit trail must outlive the records it talks about.

mod unsealed;

use sea_orm_migration::prelude::*;

/// The audit app's migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateAuditEvents), Box::new(unsealed::UnsealedEvents)]
}

#[derive(Clone, Copy, DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    Chain,
    Seq,
    OrganizationId,
    ActorType,
    ActorId,
    Action,
    EntityType,
    EntityId,
    Changes,
    Ip,
    UserAgent,
    RequestId,
    CreatedAt,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditChains {
    Table,
    Chain,
    Seq,
    Hash,
}

struct CreateAuditEvents;

impl MigrationName for CreateAuditEvents {
    fn name(&self) -> &str {
        "audit_0001_create_audit_events"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAuditEvents {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(ColumnDef::new(AuditEvents::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(AuditEvents::Chain).text().not_null())
                    .col(ColumnDef::new(AuditEvents::Seq).big_integer().not_null())
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
                    // RFC 3339 text, UTC, microseconds, `Z`: identical on both engines, so the
                    // hash covers exactly what is stored, and it sorts chronologically.
                    .col(ColumnDef::new(AuditEvents::CreatedAt).string_len(32).not_null())
                    .col(ColumnDef::new(AuditEvents::PrevHash).string_len(64).not_null())
                    .col(ColumnDef::new(AuditEvents::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_chain_seq_key")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::Chain)
                    .col(AuditEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let indexes: [(&str, &[AuditEvents]); 4] = [
            (
                "audit_events_organization_id_created_at_idx",
                &[AuditEvents::OrganizationId, AuditEvents::CreatedAt],
            ),
            ("audit_events_entity_idx", &[AuditEvents::EntityType, AuditEvents::EntityId]),
            ("audit_events_actor_id_idx", &[AuditEvents::ActorId]),
            ("audit_events_action_idx", &[AuditEvents::Action]),
        ];
        for (name, columns) in indexes {
            let mut index = Index::create();
            index.name(name).table(AuditEvents::Table);
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditChains::Table)
                    .col(ColumnDef::new(AuditChains::Chain).text().not_null().primary_key())
                    .col(ColumnDef::new(AuditChains::Seq).big_integer().not_null())
                    .col(ColumnDef::new(AuditChains::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AuditChains::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AuditEvents::Table).to_owned()).await
    }
}
