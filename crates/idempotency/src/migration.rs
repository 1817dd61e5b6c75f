//! The `idempotency_keys` and `idempotent_requests` tables. They refer to no other table:
//! keys of a deleted organization simply age out with the daily purge.

use sea_orm_migration::prelude::*;

/// The idempotency crate's migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateIdempotencyKeys), Box::new(CreateIdempotentRequests), Box::new(AddRequestIds)]
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    OrganizationId,
    Principal,
    Endpoint,
    Key,
    RequestHash,
    ResourceId,
    CreatedAt,
}

struct CreateIdempotencyKeys;

impl MigrationName for CreateIdempotencyKeys {
    fn name(&self) -> &str {
        "idempotency_0001_create_idempotency_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateIdempotencyKeys {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(ColumnDef::new(IdempotencyKeys::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Principal).string_len(64).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Endpoint).string_len(100).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Key).string_len(200).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::RequestHash).string_len(64).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::ResourceId).uuid().not_null())
                    .col(ColumnDef::new(IdempotencyKeys::CreatedAt).timestamp_with_time_zone().not_null())
                    // The primary key is the unique index concurrent duplicates serialize on.
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::OrganizationId)
                            .col(IdempotencyKeys::Principal)
                            .col(IdempotencyKeys::Endpoint)
                            .col(IdempotencyKeys::Key),
                    )
                    .to_owned(),
            )
            .await?;
        // What the daily purge scans.
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_keys_created_at")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum IdempotentRequests {
    Table,
    OrganizationId,
    Principal,
    Endpoint,
    Key,
    RequestHash,
    Status,
    Headers,
    Body,
    CreatedAt,
    RequestId,
}

/// The platform's record of write requests made with a key, and their answers (see
/// `middleware.rs`).
struct CreateIdempotentRequests;

impl MigrationName for CreateIdempotentRequests {
    fn name(&self) -> &str {
        "idempotency_0002_create_idempotent_requests"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateIdempotentRequests {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotentRequests::Table)
                    .col(ColumnDef::new(IdempotentRequests::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(IdempotentRequests::Principal).string_len(64).not_null())
                    .col(ColumnDef::new(IdempotentRequests::Endpoint).string_len(300).not_null())
                    .col(ColumnDef::new(IdempotentRequests::Key).string_len(200).not_null())
                    .col(ColumnDef::new(IdempotentRequests::RequestHash).string_len(64).not_null())
                    .col(ColumnDef::new(IdempotentRequests::Status).integer().null())
                    .col(ColumnDef::new(IdempotentRequests::Headers).text().null())
                    .col(ColumnDef::new(IdempotentRequests::Body).blob().null())
                    .col(ColumnDef::new(IdempotentRequests::CreatedAt).timestamp_with_time_zone().not_null())
                    .primary_key(
                        Index::create()
                            .col(IdempotentRequests::OrganizationId)
                            .col(IdempotentRequests::Principal)
                            .col(IdempotentRequests::Endpoint)
                            .col(IdempotentRequests::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(baseops_db::schema::index(
                "ix_idempotent_requests_created_at",
                IdempotentRequests::Table,
                [IdempotentRequests::CreatedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(IdempotentRequests::Table).to_owned()).await
    }
}

/// The id of the request holding each claim: after a crash, the audit trail tells whether
/// that request committed anything (see `middleware.rs`).
struct AddRequestIds;

impl MigrationName for AddRequestIds {
    fn name(&self) -> &str {
        "idempotency_0003_add_request_ids"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddRequestIds {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(IdempotentRequests::Table)
                    .add_column(ColumnDef::new(IdempotentRequests::RequestId).string_len(128).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(IdempotentRequests::Table)
                    .drop_column(IdempotentRequests::RequestId)
                    .to_owned(),
            )
            .await
    }
}
