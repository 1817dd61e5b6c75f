//! `leads_0002_add_stage_versions`: optimistic concurrency for editing a stage (`If-Match` on
//! `PATCH /leads/stages/{id}`), as pipelines and assignment rules had from the start. A
//! stage's `version` moves on with every change to it; stages that exist start at 1.

use sea_orm_migration::prelude::*;

use super::LeadStages;

pub(super) struct AddStageVersions;

impl MigrationName for AddStageVersions {
    fn name(&self) -> &str {
        "leads_0002_add_stage_versions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddStageVersions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let version = ColumnDef::new(LeadStages::Version).integer().not_null().default(1).to_owned();
        manager.alter_table(Table::alter().table(LeadStages::Table).add_column(version).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter().table(LeadStages::Table).drop_column(LeadStages::Version).to_owned();
        manager.alter_table(drop).await
    }
}
