//! The leads app's migrations, oldest first: `leads_0001_create_leads` here, later ones in
//! their own modules. They run after the users app's (leads belong to organizations) and the
//! customers app's.
//!
//! Indexes follow the queries: every list is keyset-paginated by `id` (UUIDv7, so creation
//! order) within one organization, narrowed by owner (own-scoped users) or stage (the board,
//! the stage filter); e-mail and phone serve de-duplication; `lead_tags` serves the tag filter.

pub(crate) mod one_default_pipeline;
mod search_words;
mod stage_versions;

use baseops_db::schema::{index, organization_fk, unique_index};
use sea_orm_migration::prelude::*;

/// The leads app's migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CreateLeads),
        Box::new(stage_versions::AddStageVersions),
        Box::new(one_default_pipeline::OneDefaultPipeline),
        Box::new(search_words::SearchWords),
    ]
}

#[derive(DeriveIden)]
enum Leads {
    Table,
    Id,
    OrganizationId,
    FirstName,
    LastName,
    Email,
    Phone,
    Company,
    Title,
    Website,
    Address,
    Source,
    OwnerId,
    PipelineId,
    StageId,
    Status,
    LostReason,
    StageEnteredAt,
    ValueAmount,
    Currency,
    Tags,
    Score,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,
    Notes,
    Search,
    CustomerId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    ConvertedAt,
    Version,
}

#[derive(DeriveIden)]
enum LeadTags {
    Table,
    LeadId,
    Tag,
    OrganizationId,
}

#[derive(DeriveIden)]
enum LeadPipelines {
    Table,
    Id,
    OrganizationId,
    Name,
    IsDefault,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum LeadStages {
    Table,
    Id,
    OrganizationId,
    PipelineId,
    Name,
    Kind,
    Position,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum LeadActivities {
    Table,
    Id,
    OrganizationId,
    LeadId,
    Kind,
    AuthorId,
    Body,
    Data,
    OccurredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LeadAssignmentRules {
    Table,
    Id,
    OrganizationId,
    Name,
    Position,
    Source,
    MemberIds,
    NextIndex,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum LeadImports {
    Table,
    Id,
    OrganizationId,
    CreatedBy,
    FileName,
    Content,
    Delimiter,
    Columns,
    Mapping,
    OnDuplicate,
    Status,
    RowsTotal,
    RowsDone,
    Report,
    Error,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

struct CreateLeads;

impl MigrationName for CreateLeads {
    fn name(&self) -> &str {
        "leads_0001_create_leads"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateLeads {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LeadPipelines::Table)
                    .col(ColumnDef::new(LeadPipelines::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(LeadPipelines::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(LeadPipelines::Name).string_len(100).not_null())
                    .col(ColumnDef::new(LeadPipelines::IsDefault).boolean().not_null())
                    .col(ColumnDef::new(LeadPipelines::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LeadPipelines::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LeadPipelines::Version).integer().not_null().default(1))
                    .foreign_key(&mut organization_fk(
                        "fk_lead_pipelines_organization",
                        LeadPipelines::Table,
                        LeadPipelines::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_lead_pipelines_organization_name",
                LeadPipelines::Table,
                [LeadPipelines::OrganizationId, LeadPipelines::Name],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LeadStages::Table)
                    .col(ColumnDef::new(LeadStages::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(LeadStages::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(LeadStages::PipelineId).uuid().not_null())
                    .col(ColumnDef::new(LeadStages::Name).string_len(100).not_null())
                    .col(ColumnDef::new(LeadStages::Kind).string_len(8).not_null())
                    .col(ColumnDef::new(LeadStages::Position).integer().not_null())
                    .col(ColumnDef::new(LeadStages::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LeadStages::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lead_stages_pipeline")
                            .from(LeadStages::Table, LeadStages::PipelineId)
                            .to(LeadPipelines::Table, LeadPipelines::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_lead_stages_pipeline_name",
                LeadStages::Table,
                [LeadStages::PipelineId, LeadStages::Name],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Leads::Table)
                    .col(ColumnDef::new(Leads::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Leads::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Leads::FirstName).string_len(100).not_null())
                    .col(ColumnDef::new(Leads::LastName).string_len(100).not_null())
                    .col(ColumnDef::new(Leads::Email).string_len(254).null())
                    .col(ColumnDef::new(Leads::Phone).string_len(32).null())
                    .col(ColumnDef::new(Leads::Company).string_len(200).null())
                    .col(ColumnDef::new(Leads::Title).string_len(200).null())
                    .col(ColumnDef::new(Leads::Website).string_len(500).null())
                    .col(ColumnDef::new(Leads::Address).string_len(1000).null())
                    .col(ColumnDef::new(Leads::Source).string_len(32).not_null())
                    .col(ColumnDef::new(Leads::OwnerId).uuid().null())
                    .col(ColumnDef::new(Leads::PipelineId).uuid().not_null())
                    .col(ColumnDef::new(Leads::StageId).uuid().not_null())
                    .col(ColumnDef::new(Leads::Status).string_len(8).not_null())
                    .col(ColumnDef::new(Leads::LostReason).string_len(500).null())
                    .col(ColumnDef::new(Leads::StageEnteredAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Leads::ValueAmount).big_integer().null())
                    .col(ColumnDef::new(Leads::Currency).string_len(3).null())
                    .col(ColumnDef::new(Leads::Tags).text().not_null())
                    .col(ColumnDef::new(Leads::Score).integer().not_null().default(0))
                    .col(ColumnDef::new(Leads::UtmSource).string_len(200).null())
                    .col(ColumnDef::new(Leads::UtmMedium).string_len(200).null())
                    .col(ColumnDef::new(Leads::UtmCampaign).string_len(200).null())
                    .col(ColumnDef::new(Leads::UtmTerm).string_len(200).null())
                    .col(ColumnDef::new(Leads::UtmContent).string_len(200).null())
                    .col(ColumnDef::new(Leads::Notes).text().null())
                    .col(ColumnDef::new(Leads::Search).text().not_null())
                    .col(ColumnDef::new(Leads::CustomerId).uuid().null())
                    .col(ColumnDef::new(Leads::CreatedBy).uuid().null())
                    .col(ColumnDef::new(Leads::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Leads::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Leads::ConvertedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Leads::Version).integer().not_null().default(1))
                    .foreign_key(&mut organization_fk(
                        "fk_leads_organization",
                        Leads::Table,
                        Leads::OrganizationId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_leads_stage")
                            .from(Leads::Table, Leads::StageId)
                            .to(LeadStages::Table, LeadStages::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_leads_organization_id", Leads::Table, [Leads::OrganizationId, Leads::Id]))
            .await?;
        manager
            .create_index(index(
                "ix_leads_organization_owner",
                Leads::Table,
                [Leads::OrganizationId, Leads::OwnerId, Leads::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_leads_organization_stage",
                Leads::Table,
                [Leads::OrganizationId, Leads::StageId, Leads::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_leads_organization_email",
                Leads::Table,
                [Leads::OrganizationId, Leads::Email],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_leads_organization_phone",
                Leads::Table,
                [Leads::OrganizationId, Leads::Phone],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_leads_organization_updated",
                Leads::Table,
                [Leads::OrganizationId, Leads::UpdatedAt, Leads::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_leads_organization_value",
                Leads::Table,
                [Leads::OrganizationId, Leads::ValueAmount, Leads::Id],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LeadTags::Table)
                    .col(ColumnDef::new(LeadTags::LeadId).uuid().not_null())
                    .col(ColumnDef::new(LeadTags::Tag).string_len(50).not_null())
                    .col(ColumnDef::new(LeadTags::OrganizationId).uuid().not_null())
                    .primary_key(Index::create().col(LeadTags::LeadId).col(LeadTags::Tag))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lead_tags_lead")
                            .from(LeadTags::Table, LeadTags::LeadId)
                            .to(Leads::Table, Leads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_lead_tags_organization_tag",
                LeadTags::Table,
                [LeadTags::OrganizationId, LeadTags::Tag, LeadTags::LeadId],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LeadActivities::Table)
                    .col(ColumnDef::new(LeadActivities::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(LeadActivities::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(LeadActivities::LeadId).uuid().not_null())
                    .col(ColumnDef::new(LeadActivities::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(LeadActivities::AuthorId).uuid().null())
                    .col(ColumnDef::new(LeadActivities::Body).text().not_null())
                    .col(ColumnDef::new(LeadActivities::Data).text().null())
                    .col(ColumnDef::new(LeadActivities::OccurredAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LeadActivities::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lead_activities_lead")
                            .from(LeadActivities::Table, LeadActivities::LeadId)
                            .to(Leads::Table, Leads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_lead_activities_lead",
                LeadActivities::Table,
                [LeadActivities::LeadId, LeadActivities::Id],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LeadAssignmentRules::Table)
                    .col(ColumnDef::new(LeadAssignmentRules::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(LeadAssignmentRules::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(LeadAssignmentRules::Name).string_len(100).not_null())
                    .col(ColumnDef::new(LeadAssignmentRules::Position).integer().not_null())
                    .col(ColumnDef::new(LeadAssignmentRules::Source).string_len(32).null())
                    .col(ColumnDef::new(LeadAssignmentRules::MemberIds).text().not_null())
                    .col(ColumnDef::new(LeadAssignmentRules::NextIndex).big_integer().not_null().default(0))
                    .col(ColumnDef::new(LeadAssignmentRules::Active).boolean().not_null())
                    .col(ColumnDef::new(LeadAssignmentRules::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LeadAssignmentRules::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LeadAssignmentRules::Version).integer().not_null().default(1))
                    .foreign_key(&mut organization_fk(
                        "fk_lead_assignment_rules_organization",
                        LeadAssignmentRules::Table,
                        LeadAssignmentRules::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_lead_assignment_rules_organization",
                LeadAssignmentRules::Table,
                [LeadAssignmentRules::OrganizationId, LeadAssignmentRules::Position],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LeadImports::Table)
                    .col(ColumnDef::new(LeadImports::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(LeadImports::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(LeadImports::CreatedBy).uuid().null())
                    .col(ColumnDef::new(LeadImports::FileName).string_len(255).not_null())
                    .col(ColumnDef::new(LeadImports::Content).binary().null())
                    .col(ColumnDef::new(LeadImports::Delimiter).string_len(1).not_null())
                    .col(ColumnDef::new(LeadImports::Columns).text().not_null())
                    .col(ColumnDef::new(LeadImports::Mapping).text().not_null())
                    .col(ColumnDef::new(LeadImports::OnDuplicate).string_len(8).not_null())
                    .col(ColumnDef::new(LeadImports::Status).string_len(16).not_null())
                    .col(ColumnDef::new(LeadImports::RowsTotal).big_integer().not_null().default(0))
                    .col(ColumnDef::new(LeadImports::RowsDone).big_integer().not_null().default(0))
                    .col(ColumnDef::new(LeadImports::Report).text().null())
                    .col(ColumnDef::new(LeadImports::Error).text().null())
                    .col(ColumnDef::new(LeadImports::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LeadImports::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LeadImports::FinishedAt).timestamp_with_time_zone().null())
                    .foreign_key(&mut organization_fk(
                        "fk_lead_imports_organization",
                        LeadImports::Table,
                        LeadImports::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_lead_imports_organization",
                LeadImports::Table,
                [LeadImports::OrganizationId, LeadImports::Id],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LeadImports::Table.into_iden(),
            LeadAssignmentRules::Table.into_iden(),
            LeadActivities::Table.into_iden(),
            LeadTags::Table.into_iden(),
            Leads::Table.into_iden(),
            LeadStages::Table.into_iden(),
            LeadPipelines::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
