//! The queue's tables: jobs, schedule ticks, events and their deliveries. The jobs app
//! (`apps/jobs`) declares them in the composition.

use sea_orm_migration::prelude::*;

/// The queue's migrations, oldest first.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateJobs), Box::new(CreateJobTicks), Box::new(CreateEvents), Box::new(QueueIndexes)]
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Queue,
    Name,
    Payload,
    Priority,
    State,
    Attempts,
    MaxAttempts,
    TimeoutSecs,
    RunAt,
    LockedUntil,
    LockedBy,
    DedupKey,
    LastError,
    OrganizationId,
    RequestId,
    CreatedAt,
    FinishedAt,
}

struct CreateJobs;

impl MigrationName for CreateJobs {
    fn name(&self) -> &str {
        "jobs_0001_create_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateJobs {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(ColumnDef::new(Jobs::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Jobs::Queue).string_len(64).not_null())
                    .col(ColumnDef::new(Jobs::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Jobs::Payload).text().not_null())
                    .col(ColumnDef::new(Jobs::Priority).integer().not_null())
                    .col(ColumnDef::new(Jobs::State).string_len(16).not_null())
                    .col(ColumnDef::new(Jobs::Attempts).integer().not_null())
                    .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null())
                    .col(ColumnDef::new(Jobs::TimeoutSecs).integer().not_null())
                    .col(ColumnDef::new(Jobs::RunAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Jobs::LockedUntil).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Jobs::LockedBy).string_len(64).null())
                    .col(ColumnDef::new(Jobs::DedupKey).string_len(200).null())
                    .col(ColumnDef::new(Jobs::LastError).text().null())
                    .col(ColumnDef::new(Jobs::OrganizationId).uuid().null())
                    .col(ColumnDef::new(Jobs::RequestId).string_len(128).null())
                    .col(ColumnDef::new(Jobs::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Jobs::FinishedAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        // What workers scan: due jobs of a queue, best priority first.
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_claim")
                    .table(Jobs::Table)
                    .col(Jobs::State)
                    .col(Jobs::Queue)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;
        // One live job per de-duplication key; finished jobs free the key. A partial unique
        // index, written the same way for SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_jobs_dedup_key ON jobs (dedup_key) \
                 WHERE dedup_key IS NOT NULL AND state IN ('pending', 'running')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Jobs::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum JobTicks {
    Table,
    Schedule,
    Tick,
    CreatedAt,
}

struct CreateJobTicks;

impl MigrationName for CreateJobTicks {
    fn name(&self) -> &str {
        "jobs_0002_create_job_ticks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateJobTicks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobTicks::Table)
                    .col(ColumnDef::new(JobTicks::Schedule).string_len(100).not_null())
                    .col(ColumnDef::new(JobTicks::Tick).big_integer().not_null())
                    .col(ColumnDef::new(JobTicks::CreatedAt).timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(JobTicks::Schedule).col(JobTicks::Tick))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(JobTicks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Name,
    Payload,
    OrganizationId,
    ActorType,
    ActorId,
    RequestId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventDeliveries {
    Table,
    EventId,
    Handler,
    DeliveredAt,
}

struct CreateEvents;

impl MigrationName for CreateEvents {
    fn name(&self) -> &str {
        "jobs_0003_create_events"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateEvents {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(ColumnDef::new(Events::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Events::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Events::Payload).text().not_null())
                    .col(ColumnDef::new(Events::OrganizationId).uuid().null())
                    .col(ColumnDef::new(Events::ActorType).string_len(16).not_null())
                    .col(ColumnDef::new(Events::ActorId).string_len(64).null())
                    .col(ColumnDef::new(Events::RequestId).string_len(128).not_null())
                    .col(ColumnDef::new(Events::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventDeliveries::Table)
                    .col(ColumnDef::new(EventDeliveries::EventId).uuid().not_null())
                    .col(ColumnDef::new(EventDeliveries::Handler).string_len(100).not_null())
                    .col(ColumnDef::new(EventDeliveries::DeliveredAt).timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(EventDeliveries::EventId).col(EventDeliveries::Handler))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_deliveries_event")
                            .from(EventDeliveries::Table, EventDeliveries::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(EventDeliveries::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Events::Table).to_owned()).await
    }
}

struct QueueIndexes;

impl MigrationName for QueueIndexes {
    fn name(&self) -> &str {
        "jobs_0004_queue_indexes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for QueueIndexes {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Claims read pending jobs of one queue in priority order: a partial index holds only
        // them, so finished jobs do not grow it, and an ordered scan stops after `limit` rows
        // (the old (state, queue, run_at) index made every claim sort all due rows).
        db.execute_unprepared("DROP INDEX IF EXISTS ix_jobs_claim").await?;
        db.execute_unprepared(
            "CREATE INDEX ix_jobs_pending ON jobs (queue, priority DESC, run_at) WHERE state = 'pending'",
        )
        .await?;
        // Expired leases (running jobs) and relay leases (jobs queued in Redis).
        db.execute_unprepared(
            "CREATE INDEX ix_jobs_leased ON jobs (state, locked_until) WHERE state IN ('running', 'queued')",
        )
        .await?;
        // A key stays taken while its job is queued in Redis.
        db.execute_unprepared("DROP INDEX IF EXISTS ux_jobs_dedup_key").await?;
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX ux_jobs_dedup_key ON jobs (dedup_key) WHERE {}",
            crate::queue::DEDUP_INDEX_CONDITION
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_jobs_pending").await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ix_jobs_leased").await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ux_jobs_dedup_key").await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_jobs_dedup_key ON jobs (dedup_key) \
             WHERE dedup_key IS NOT NULL AND state IN ('pending', 'running')",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX ix_jobs_claim ON jobs (state, queue, run_at)").await?;
        Ok(())
    }
}
