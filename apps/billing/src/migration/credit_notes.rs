//! `billing_0003_create_credit_notes`: credit notes, and what has been credited of each invoice.

use baseops_db::schema::{cascade_fk, index, organization_fk, unique_index};
use sea_orm_migration::prelude::*;

use super::{BillingInvoices, amount};

#[derive(DeriveIden, Clone, Copy)]
enum BillingCreditNotes {
    Table,
    Id,
    OrganizationId,
    InvoiceId,
    CustomerId,
    Number,
    Currency,
    Amount,
    ReducedDue,
    ToBalance,
    Refunded,
    Reason,
    Memo,
    CreatedBy,
    CreatedAt,
}

/// Credit notes, and what has been credited of each invoice.
pub(super) struct CreateCreditNotes;

impl MigrationName for CreateCreditNotes {
    fn name(&self) -> &str {
        "billing_0003_create_credit_notes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCreditNotes {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use BillingCreditNotes as C;
        manager
            .alter_table(
                Table::alter()
                    .table(BillingInvoices::Table)
                    .add_column(
                        ColumnDef::new(Alias::new("amount_credited")).big_integer().not_null().default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(ColumnDef::new(C::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(C::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(C::InvoiceId).uuid().not_null())
                    .col(ColumnDef::new(C::CustomerId).uuid().not_null())
                    .col(ColumnDef::new(C::Number).string_len(40).not_null())
                    .col(ColumnDef::new(C::Currency).string_len(3).not_null())
                    .col(amount(C::Amount))
                    .col(amount(C::ReducedDue))
                    .col(amount(C::ToBalance))
                    .col(amount(C::Refunded))
                    .col(ColumnDef::new(C::Reason).string_len(32).not_null())
                    .col(ColumnDef::new(C::Memo).text().null())
                    .col(ColumnDef::new(C::CreatedBy).uuid().null())
                    .col(ColumnDef::new(C::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut organization_fk(
                        "fk_billing_credit_notes_organization",
                        C::Table,
                        C::OrganizationId,
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_credit_notes_invoice",
                        (C::Table, C::InvoiceId),
                        (BillingInvoices::Table, BillingInvoices::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_billing_credit_notes_organization", C::Table, [C::OrganizationId, C::Id]))
            .await?;
        manager.create_index(index("ix_billing_credit_notes_invoice", C::Table, [C::InvoiceId])).await?;
        manager
            .create_index(unique_index(
                "ux_billing_credit_notes_number",
                C::Table,
                [C::OrganizationId, C::Number],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BillingCreditNotes::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(BillingInvoices::Table)
                    .drop_column(Alias::new("amount_credited"))
                    .to_owned(),
            )
            .await
    }
}
