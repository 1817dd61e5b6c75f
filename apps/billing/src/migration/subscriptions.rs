//! `billing_0005_create_catalog_and_subscriptions`: products and their prices, subscriptions
//! of customers to recurring prices, and one row per subscription period invoiced.
//!
//! `ux_billing_subscription_periods` (subscription, period) is what makes a renewal happen
//! once: the renewal inserts the period's row in the transaction that makes its invoice, so a
//! second worker renewing the same period conflicts and does nothing.

use baseops_db::schema::{cascade_fk, index, organization_fk};
use sea_orm_migration::prelude::*;

use super::amount;

#[derive(DeriveIden, Clone, Copy)]
enum BillingProducts {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    TaxRateIds,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingPrices {
    Table,
    Id,
    OrganizationId,
    ProductId,
    Currency,
    UnitAmount,
    Interval,
    IntervalCount,
    Active,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingSubscriptions {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    PriceId,
    Quantity,
    Status,
    Anchor,
    PeriodIndex,
    CurrentPeriodStart,
    CurrentPeriodEnd,
    TrialEnd,
    CancelAtPeriodEnd,
    CanceledAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingSubscriptionPeriods {
    Table,
    SubscriptionId,
    PeriodIndex,
    PeriodStart,
    PeriodEnd,
    InvoiceId,
    CreatedAt,
}

/// Products, prices, subscriptions and their invoiced periods.
pub(super) struct CreateCatalogAndSubscriptions;

impl MigrationName for CreateCatalogAndSubscriptions {
    fn name(&self) -> &str {
        "billing_0005_create_catalog_and_subscriptions"
    }
}

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).timestamp_with_time_zone().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCatalogAndSubscriptions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use {
            BillingPrices as Pr, BillingProducts as P, BillingSubscriptionPeriods as Sp,
            BillingSubscriptions as S,
        };
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(ColumnDef::new(P::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(P::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(P::Name).string_len(200).not_null())
                    .col(ColumnDef::new(P::Description).text().null())
                    .col(ColumnDef::new(P::TaxRateIds).text().not_null())
                    .col(ColumnDef::new(P::Active).boolean().not_null().default(true))
                    .col(timestamp(P::CreatedAt))
                    .col(timestamp(P::UpdatedAt))
                    .col(ColumnDef::new(P::Version).integer().not_null().default(1))
                    .foreign_key(&mut organization_fk(
                        "fk_billing_products_organization",
                        P::Table,
                        P::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_billing_products_organization", P::Table, [P::OrganizationId, P::Id]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Pr::Table)
                    .col(ColumnDef::new(Pr::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Pr::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Pr::ProductId).uuid().not_null())
                    .col(ColumnDef::new(Pr::Currency).string_len(3).not_null())
                    .col(amount(Pr::UnitAmount))
                    .col(ColumnDef::new(Pr::Interval).string_len(8).null())
                    .col(ColumnDef::new(Pr::IntervalCount).integer().null())
                    .col(ColumnDef::new(Pr::Active).boolean().not_null().default(true))
                    .col(timestamp(Pr::CreatedAt))
                    .foreign_key(&mut organization_fk(
                        "fk_billing_prices_organization",
                        Pr::Table,
                        Pr::OrganizationId,
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_prices_product",
                        (Pr::Table, Pr::ProductId),
                        (P::Table, P::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_billing_prices_product", Pr::Table, [Pr::ProductId, Pr::Id])).await?;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(ColumnDef::new(S::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(S::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(S::CustomerId).uuid().not_null())
                    .col(ColumnDef::new(S::PriceId).uuid().not_null())
                    .col(ColumnDef::new(S::Quantity).integer().not_null())
                    .col(ColumnDef::new(S::Status).string_len(16).not_null())
                    .col(timestamp(S::Anchor))
                    .col(ColumnDef::new(S::PeriodIndex).integer().not_null())
                    .col(timestamp(S::CurrentPeriodStart))
                    .col(timestamp(S::CurrentPeriodEnd))
                    .col(ColumnDef::new(S::TrialEnd).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(S::CancelAtPeriodEnd).boolean().not_null().default(false))
                    .col(ColumnDef::new(S::CanceledAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(S::CreatedBy).uuid().null())
                    .col(timestamp(S::CreatedAt))
                    .col(timestamp(S::UpdatedAt))
                    .col(ColumnDef::new(S::Version).integer().not_null().default(1))
                    .foreign_key(&mut organization_fk(
                        "fk_billing_subscriptions_organization",
                        S::Table,
                        S::OrganizationId,
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_subscriptions_price",
                        (S::Table, S::PriceId),
                        (Pr::Table, Pr::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_billing_subscriptions_organization",
                S::Table,
                [S::OrganizationId, S::Id],
            ))
            .await?;
        // The renewal run's scan: what is due, oldest first.
        manager
            .create_index(index("ix_billing_subscriptions_due", S::Table, [S::Status, S::CurrentPeriodEnd]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sp::Table)
                    .col(ColumnDef::new(Sp::SubscriptionId).uuid().not_null())
                    .col(ColumnDef::new(Sp::PeriodIndex).integer().not_null())
                    .col(timestamp(Sp::PeriodStart))
                    .col(timestamp(Sp::PeriodEnd))
                    .col(ColumnDef::new(Sp::InvoiceId).uuid().null())
                    .col(timestamp(Sp::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("ux_billing_subscription_periods")
                            .col(Sp::SubscriptionId)
                            .col(Sp::PeriodIndex),
                    )
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_subscription_periods_subscription",
                        (Sp::Table, Sp::SubscriptionId),
                        (S::Table, S::Id),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            BillingSubscriptionPeriods::Table.into_iden(),
            BillingSubscriptions::Table.into_iden(),
            BillingPrices::Table.into_iden(),
            BillingProducts::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
