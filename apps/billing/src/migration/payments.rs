//! `billing_0002_create_payments`: payments received, and what each paid of which invoice.

use baseops_db::schema::{cascade_fk, index, organization_fk};
use sea_orm_migration::prelude::*;

use super::amount;

#[derive(DeriveIden, Clone, Copy)]
enum BillingPayments {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    Currency,
    Amount,
    Unapplied,
    Method,
    Reference,
    ReceivedOn,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingPaymentAllocations {
    Table,
    PaymentId,
    InvoiceId,
    Amount,
}

/// Payments received from customers, and what each paid of which invoice.
pub(super) struct CreatePayments;

impl MigrationName for CreatePayments {
    fn name(&self) -> &str {
        "billing_0002_create_payments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreatePayments {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use BillingPaymentAllocations as A;
        use BillingPayments as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(ColumnDef::new(P::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(P::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(P::CustomerId).uuid().not_null())
                    .col(ColumnDef::new(P::Currency).string_len(3).not_null())
                    .col(amount(P::Amount))
                    .col(amount(P::Unapplied))
                    .col(ColumnDef::new(P::Method).string_len(32).not_null())
                    .col(ColumnDef::new(P::Reference).string_len(200).null())
                    .col(ColumnDef::new(P::ReceivedOn).date().not_null())
                    .col(ColumnDef::new(P::CreatedBy).uuid().null())
                    .col(ColumnDef::new(P::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut organization_fk(
                        "fk_billing_payments_organization",
                        P::Table,
                        P::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_billing_payments_organization", P::Table, [P::OrganizationId, P::Id]))
            .await?;
        manager
            .create_index(index(
                "ix_billing_payments_customer",
                P::Table,
                [P::OrganizationId, P::CustomerId, P::Id],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(ColumnDef::new(A::PaymentId).uuid().not_null())
                    .col(ColumnDef::new(A::InvoiceId).uuid().not_null())
                    .col(amount(A::Amount))
                    .primary_key(Index::create().col(A::PaymentId).col(A::InvoiceId))
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_payment_allocations_payment",
                        (A::Table, A::PaymentId),
                        (P::Table, P::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_billing_payment_allocations_invoice", A::Table, [A::InvoiceId])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BillingPaymentAllocations::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(BillingPayments::Table).to_owned()).await
    }
}
