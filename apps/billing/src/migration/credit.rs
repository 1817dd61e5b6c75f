//! `billing_0004_create_credit_and_refunds`: the customer's credit balance per currency, the
//! credit applied to invoices, and refunds of payments.
//!
//! The balance is a row updated with `balance = balance - x WHERE balance >= x`, so two
//! requests spending the same credit at once cannot both succeed. It starts as what the
//! earlier tables already held as credit: unapplied payments and credit notes to the balance.

use baseops_db::schema::{cascade_fk, index, organization_fk};
use sea_orm_migration::prelude::*;

use super::amount;

#[derive(DeriveIden, Clone, Copy)]
enum BillingCreditBalances {
    Table,
    OrganizationId,
    CustomerId,
    Currency,
    Balance,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingCreditApplications {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    InvoiceId,
    Currency,
    Amount,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingRefunds {
    Table,
    Id,
    OrganizationId,
    PaymentId,
    CustomerId,
    Currency,
    Amount,
    FromCredit,
    Reason,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingPayments {
    Table,
    Id,
    Refunded,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingInvoices {
    Table,
    Id,
}

/// The credit balance, credit applied to invoices, and refunds.
pub(super) struct CreateCreditAndRefunds;

impl MigrationName for CreateCreditAndRefunds {
    fn name(&self) -> &str {
        "billing_0004_create_credit_and_refunds"
    }
}

/// The credit the earlier tables hold, per customer and currency.
const BACKFILL: &str = "INSERT INTO billing_credit_balances \
    (organization_id, customer_id, currency, balance, updated_at) \
    SELECT organization_id, customer_id, currency, SUM(credit), MAX(created_at) FROM ( \
        SELECT organization_id, customer_id, currency, unapplied AS credit, created_at FROM billing_payments \
        UNION ALL \
        SELECT organization_id, customer_id, currency, to_balance AS credit, created_at FROM billing_credit_notes \
    ) credits GROUP BY organization_id, customer_id, currency";

#[async_trait::async_trait]
impl MigrationTrait for CreateCreditAndRefunds {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use BillingCreditApplications as A;
        use BillingCreditBalances as B;
        use BillingRefunds as R;
        manager
            .create_table(
                Table::create()
                    .table(B::Table)
                    .col(ColumnDef::new(B::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(B::CustomerId).uuid().not_null())
                    .col(ColumnDef::new(B::Currency).string_len(3).not_null())
                    .col(amount(B::Balance))
                    .col(ColumnDef::new(B::UpdatedAt).timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(B::OrganizationId).col(B::CustomerId).col(B::Currency))
                    .foreign_key(&mut organization_fk(
                        "fk_billing_credit_balances_organization",
                        B::Table,
                        B::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.get_connection().execute_unprepared(BACKFILL).await?;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(ColumnDef::new(A::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(A::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(A::CustomerId).uuid().not_null())
                    .col(ColumnDef::new(A::InvoiceId).uuid().not_null())
                    .col(ColumnDef::new(A::Currency).string_len(3).not_null())
                    .col(amount(A::Amount))
                    .col(ColumnDef::new(A::CreatedBy).uuid().null())
                    .col(ColumnDef::new(A::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut organization_fk(
                        "fk_billing_credit_applications_organization",
                        A::Table,
                        A::OrganizationId,
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_credit_applications_invoice",
                        (A::Table, A::InvoiceId),
                        (BillingInvoices::Table, BillingInvoices::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_billing_credit_applications_invoice", A::Table, [A::InvoiceId]))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(BillingPayments::Table)
                    .add_column(ColumnDef::new(BillingPayments::Refunded).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(R::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(R::PaymentId).uuid().not_null())
                    .col(ColumnDef::new(R::CustomerId).uuid().not_null())
                    .col(ColumnDef::new(R::Currency).string_len(3).not_null())
                    .col(amount(R::Amount))
                    .col(amount(R::FromCredit))
                    .col(ColumnDef::new(R::Reason).string_len(200).null())
                    .col(ColumnDef::new(R::CreatedBy).uuid().null())
                    .col(ColumnDef::new(R::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut organization_fk(
                        "fk_billing_refunds_organization",
                        R::Table,
                        R::OrganizationId,
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_refunds_payment",
                        (R::Table, R::PaymentId),
                        (BillingPayments::Table, BillingPayments::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_billing_refunds_payment", R::Table, [R::PaymentId])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BillingRefunds::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(BillingPayments::Table)
                    .drop_column(BillingPayments::Refunded)
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(BillingCreditApplications::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(BillingCreditBalances::Table).to_owned()).await
    }
}
