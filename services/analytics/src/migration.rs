//! The analytics tables. They run after the users app's: both refer to `organizations`.

use baseops_db::schema::{index, organization_fk};
use sea_orm_migration::prelude::*;

use crate::table::{AnalyticsDaily, AnalyticsEvents};

/// The analytics migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateAnalytics)]
}

struct CreateAnalytics;

impl MigrationName for CreateAnalytics {
    fn name(&self) -> &str {
        "analytics_0001_create_analytics"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAnalytics {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AnalyticsEvents::Table)
                    .col(ColumnDef::new(AnalyticsEvents::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(AnalyticsEvents::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(AnalyticsEvents::Name).string_len(64).not_null())
                    // No foreign key: an event outlives the person who caused it.
                    .col(ColumnDef::new(AnalyticsEvents::ActorId).uuid().null())
                    .col(ColumnDef::new(AnalyticsEvents::Properties).text().not_null())
                    .col(ColumnDef::new(AnalyticsEvents::OccurredAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AnalyticsEvents::RecordedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut organization_fk(
                        "fk_analytics_events_organization",
                        AnalyticsEvents::Table,
                        AnalyticsEvents::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        // The aggregation reads one organization's day at a time.
        manager
            .create_index(index(
                "ix_analytics_events_organization_occurred",
                AnalyticsEvents::Table,
                [AnalyticsEvents::OrganizationId, AnalyticsEvents::OccurredAt],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnalyticsDaily::Table)
                    .col(ColumnDef::new(AnalyticsDaily::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(AnalyticsDaily::Day).date().not_null())
                    .col(ColumnDef::new(AnalyticsDaily::Metric).string_len(64).not_null())
                    .col(ColumnDef::new(AnalyticsDaily::Dimension).string_len(200).not_null())
                    .col(ColumnDef::new(AnalyticsDaily::Value).big_integer().not_null())
                    .col(ColumnDef::new(AnalyticsDaily::Currency).string_len(3).not_null())
                    .primary_key(
                        Index::create()
                            .col(AnalyticsDaily::OrganizationId)
                            .col(AnalyticsDaily::Day)
                            .col(AnalyticsDaily::Metric)
                            .col(AnalyticsDaily::Dimension)
                            .col(AnalyticsDaily::Currency),
                    )
                    .foreign_key(&mut organization_fk(
                        "fk_analytics_daily_organization",
                        AnalyticsDaily::Table,
                        AnalyticsDaily::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AnalyticsDaily::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AnalyticsEvents::Table).to_owned()).await
    }
}
