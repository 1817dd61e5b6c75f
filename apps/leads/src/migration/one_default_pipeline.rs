//! `leads_0003_one_default_pipeline`: at most one default pipeline per organization, held by
//! the database. Two requests making two pipelines the default at once could both commit on
//! PostgreSQL (each cleared the defaults it could see, not the other's); a partial unique
//! index makes the second fail instead. Organizations that already have several defaults keep
//! the oldest. SQLite and PostgreSQL both read this SQL the same way; sea-query cannot build a
//! partial index.

use sea_orm_migration::prelude::*;

pub(super) struct OneDefaultPipeline;

impl MigrationName for OneDefaultPipeline {
    fn name(&self) -> &str {
        "leads_0003_one_default_pipeline"
    }
}

/// The index's name, which the services recognise in a violation.
pub(crate) const DEFAULT_INDEX: &str = "ux_lead_pipelines_default";

#[async_trait::async_trait]
impl MigrationTrait for OneDefaultPipeline {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE lead_pipelines SET is_default = false WHERE is_default AND EXISTS (\
             SELECT 1 FROM lead_pipelines AS earlier \
             WHERE earlier.organization_id = lead_pipelines.organization_id \
             AND earlier.is_default AND earlier.id < lead_pipelines.id)",
        )
        .await?;
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX {DEFAULT_INDEX} ON lead_pipelines (organization_id) WHERE is_default"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(DEFAULT_INDEX).table(Alias::new("lead_pipelines")).to_owned())
            .await
    }
}
