//! The analytics tables' names, shared by the migrations and the queries.

use sea_orm_migration::prelude::DeriveIden;

/// `analytics_events`: every tracked event, as recorded.
#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum AnalyticsEvents {
    Table,
    Id,
    OrganizationId,
    Name,
    ActorId,
    Properties,
    OccurredAt,
    RecordedAt,
}

/// `analytics_daily`: one figure per organization, day, metric, dimension and currency.
#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum AnalyticsDaily {
    Table,
    OrganizationId,
    Day,
    Metric,
    Dimension,
    Value,
    Currency,
}
