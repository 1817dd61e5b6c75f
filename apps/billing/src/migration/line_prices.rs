//! `billing_0006_add_invoice_line_prices`: the catalog price an invoice line bills, so that
//! revenue can be read per price and product. No foreign key: SQLite cannot add one to an
//! existing table, and prices are never deleted (they are archived).

use baseops_db::schema::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveIden, Clone, Copy)]
enum BillingInvoiceLines {
    Table,
    PriceId,
}

pub(super) struct AddInvoiceLinePrices;

impl MigrationName for AddInvoiceLinePrices {
    fn name(&self) -> &str {
        "billing_0006_add_invoice_line_prices"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddInvoiceLinePrices {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(BillingInvoiceLines::Table)
                    .add_column(ColumnDef::new(BillingInvoiceLines::PriceId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_billing_invoice_lines_price",
                BillingInvoiceLines::Table,
                [BillingInvoiceLines::PriceId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_billing_invoice_lines_price")
                    .table(BillingInvoiceLines::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(BillingInvoiceLines::Table)
                    .drop_column(BillingInvoiceLines::PriceId)
                    .to_owned(),
            )
            .await
    }
}
