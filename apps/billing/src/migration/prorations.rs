//! `billing_0008_create_prorations`: what a mid-period change of a subscription's price or
//! quantity is owed or owes, until an invoice takes it (`invoice_id`).

use baseops_db::schema::{cascade_fk, index, organization_fk};
use sea_orm_migration::prelude::*;

#[derive(DeriveIden, Clone, Copy)]
enum BillingProrations {
    Table,
    Id,
    OrganizationId,
    SubscriptionId,
    Amount,
    Description,
    CreatedAt,
    InvoiceId,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingSubscriptions {
    Table,
    Id,
}

/// The prorations of subscription changes.
pub(super) struct CreateProrations;

impl MigrationName for CreateProrations {
    fn name(&self) -> &str {
        "billing_0008_create_prorations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateProrations {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use BillingProrations as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(ColumnDef::new(P::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(P::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(P::SubscriptionId).uuid().not_null())
                    // Signed: a downgrade's unused time is a negative amount.
                    .col(ColumnDef::new(P::Amount).big_integer().not_null())
                    .col(ColumnDef::new(P::Description).string_len(500).not_null())
                    .col(ColumnDef::new(P::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(P::InvoiceId).uuid().null())
                    .foreign_key(&mut organization_fk(
                        "fk_billing_prorations_organization",
                        P::Table,
                        P::OrganizationId,
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_prorations_subscription",
                        (P::Table, P::SubscriptionId),
                        (BillingSubscriptions::Table, BillingSubscriptions::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_billing_prorations_subscription",
                P::Table,
                [P::SubscriptionId, P::InvoiceId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BillingProrations::Table).to_owned()).await
    }
}
