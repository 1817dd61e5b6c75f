//! `billing_0007_create_dunning`: each organization's reminder schedule and late fee, and one
//! row per reminder sent.
//!
//! The primary key (invoice, step) of `billing_dunning_sends` is what makes a reminder go out
//! once: the run inserts the row in the transaction that enqueues the e-mail, so a second
//! worker reminding the same invoice of the same step conflicts and sends nothing.

use baseops_db::schema::{cascade_fk, index, organization_fk};
use sea_orm_migration::prelude::*;

use super::BillingInvoices;

#[derive(DeriveIden, Clone, Copy)]
enum BillingDunningPolicies {
    Table,
    OrganizationId,
    Steps,
    LateFeePercent,
    LateFeeAmount,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingDunningSends {
    Table,
    InvoiceId,
    Step,
    OrganizationId,
    SentAt,
    EmailTo,
    LateFeeInvoiceId,
}

/// The reminder schedules and the reminders sent.
pub(super) struct CreateDunning;

impl MigrationName for CreateDunning {
    fn name(&self) -> &str {
        "billing_0007_create_dunning"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateDunning {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use BillingDunningPolicies as P;
        use BillingDunningSends as S;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(ColumnDef::new(P::OrganizationId).uuid().not_null().primary_key())
                    .col(ColumnDef::new(P::Steps).text().not_null())
                    .col(ColumnDef::new(P::LateFeePercent).big_integer().null())
                    .col(ColumnDef::new(P::LateFeeAmount).big_integer().null())
                    .col(ColumnDef::new(P::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(P::Version).integer().not_null().default(1))
                    .foreign_key(&mut organization_fk(
                        "fk_billing_dunning_policies_organization",
                        P::Table,
                        P::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(ColumnDef::new(S::InvoiceId).uuid().not_null())
                    .col(ColumnDef::new(S::Step).integer().not_null())
                    .col(ColumnDef::new(S::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(S::SentAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(S::EmailTo).string_len(254).null())
                    .col(ColumnDef::new(S::LateFeeInvoiceId).uuid().null())
                    .primary_key(Index::create().col(S::InvoiceId).col(S::Step))
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_dunning_sends_invoice",
                        (S::Table, S::InvoiceId),
                        (BillingInvoices::Table, BillingInvoices::Id),
                    ))
                    .foreign_key(&mut organization_fk(
                        "fk_billing_dunning_sends_organization",
                        S::Table,
                        S::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_billing_dunning_sends_late_fee", S::Table, [S::LateFeeInvoiceId]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BillingDunningSends::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(BillingDunningPolicies::Table).to_owned()).await
    }
}
