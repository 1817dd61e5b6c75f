//! The billing app's tables. Amounts are `BIGINT` minor units with the currency beside them;
//! quantities and percentages are `BIGINT` ten-thousandths ([`crate::decimal::Decimal4`]).
//!
//! Numbering: `billing_number_series` holds the next number per organization, document kind
//! and year. Finalizing takes it with one `UPDATE … SET next_value = next_value + 1` in the
//! finalize's own transaction, so the row lock (PostgreSQL) or the single writer (SQLite)
//! serializes finalizations and a rolled-back one gives its number back: no gap, no repeat.
//! `ux_billing_invoices_number` is the last line of defence.

use baseops_db::schema::{cascade_fk, index, organization_fk, unique_index};
use sea_orm_migration::prelude::*;

mod credit;
mod credit_notes;
mod dunning;
mod line_prices;
mod payments;
mod prorations;
mod report_indexes;
mod subscriptions;
mod tax_dates;

use credit::CreateCreditAndRefunds;
use credit_notes::CreateCreditNotes;
use dunning::CreateDunning;
use line_prices::AddInvoiceLinePrices;
use payments::CreatePayments;
use prorations::CreateProrations;
use report_indexes::AddReportIndexes;
use subscriptions::CreateCatalogAndSubscriptions;
use tax_dates::AddTaxRateEffectiveDates;

/// The billing app's migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CreateBilling),
        Box::new(CreatePayments),
        Box::new(CreateCreditNotes),
        Box::new(CreateCreditAndRefunds),
        Box::new(CreateCatalogAndSubscriptions),
        Box::new(AddInvoiceLinePrices),
        Box::new(CreateDunning),
        Box::new(CreateProrations),
        Box::new(AddTaxRateEffectiveDates),
        Box::new(AddReportIndexes),
    ]
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingSettings {
    Table,
    OrganizationId,
    RoundingMode,
    RoundingLevel,
    InvoicePrefix,
    PaymentTermsDays,
    Footer,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingTaxRates {
    Table,
    Id,
    OrganizationId,
    Name,
    Jurisdiction,
    Percent,
    Inclusive,
    Compound,
    Archived,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
pub(super) enum BillingInvoices {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    Number,
    Status,
    Currency,
    DiscountPercent,
    DiscountAmount,
    RoundingMode,
    RoundingLevel,
    PaymentTermsDays,
    Memo,
    Footer,
    Subtotal,
    DiscountTotal,
    NetTotal,
    TaxTotal,
    Total,
    AmountPaid,
    AmountDue,
    IssuedOn,
    DueOn,
    FinalizedAt,
    ClosedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingInvoiceLines {
    Table,
    Id,
    InvoiceId,
    Position,
    Description,
    Quantity,
    UnitAmount,
    DiscountPercent,
    DiscountAmount,
    TaxRateIds,
    Amount,
    Discount,
    Net,
    Tax,
    Total,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingInvoiceTaxes {
    Table,
    InvoiceId,
    TaxRateId,
    Position,
    Name,
    Percent,
    Inclusive,
    Compound,
    Base,
    Amount,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingNumberSeries {
    Table,
    OrganizationId,
    Kind,
    Year,
    NextValue,
}

#[derive(DeriveIden, Clone, Copy)]
enum BillingLedgerEntries {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    Currency,
    Kind,
    InvoiceId,
    Amount,
    CreatedAt,
}

struct CreateBilling;

impl MigrationName for CreateBilling {
    fn name(&self) -> &str {
        "billing_0001_create_billing"
    }
}

/// A money column: `BIGINT NOT NULL DEFAULT 0`, minor units.
pub(super) fn amount(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().default(0).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for CreateBilling {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use BillingInvoices as I;
        manager
            .create_table(
                Table::create()
                    .table(BillingSettings::Table)
                    .col(ColumnDef::new(BillingSettings::OrganizationId).uuid().not_null().primary_key())
                    .col(ColumnDef::new(BillingSettings::RoundingMode).string_len(16).not_null())
                    .col(ColumnDef::new(BillingSettings::RoundingLevel).string_len(16).not_null())
                    .col(ColumnDef::new(BillingSettings::InvoicePrefix).string_len(16).not_null())
                    .col(ColumnDef::new(BillingSettings::PaymentTermsDays).integer().not_null())
                    .col(ColumnDef::new(BillingSettings::Footer).text().null())
                    .col(ColumnDef::new(BillingSettings::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(BillingSettings::Version).integer().not_null().default(1))
                    .foreign_key(&mut organization_fk(
                        "fk_billing_settings_organization",
                        BillingSettings::Table,
                        BillingSettings::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BillingTaxRates::Table)
                    .col(ColumnDef::new(BillingTaxRates::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(BillingTaxRates::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(BillingTaxRates::Name).string_len(100).not_null())
                    .col(ColumnDef::new(BillingTaxRates::Jurisdiction).string_len(100).null())
                    .col(ColumnDef::new(BillingTaxRates::Percent).big_integer().not_null())
                    .col(ColumnDef::new(BillingTaxRates::Inclusive).boolean().not_null())
                    .col(ColumnDef::new(BillingTaxRates::Compound).boolean().not_null())
                    .col(ColumnDef::new(BillingTaxRates::Archived).boolean().not_null().default(false))
                    .col(ColumnDef::new(BillingTaxRates::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(BillingTaxRates::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(BillingTaxRates::Version).integer().not_null().default(1))
                    .foreign_key(&mut organization_fk(
                        "fk_billing_tax_rates_organization",
                        BillingTaxRates::Table,
                        BillingTaxRates::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_billing_tax_rates_organization",
                BillingTaxRates::Table,
                [BillingTaxRates::OrganizationId, BillingTaxRates::Id],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(ColumnDef::new(I::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(I::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(I::CustomerId).uuid().not_null())
                    .col(ColumnDef::new(I::Number).string_len(40).null())
                    .col(ColumnDef::new(I::Status).string_len(16).not_null())
                    .col(ColumnDef::new(I::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(I::DiscountPercent).big_integer().null())
                    .col(ColumnDef::new(I::DiscountAmount).big_integer().null())
                    .col(ColumnDef::new(I::RoundingMode).string_len(16).not_null())
                    .col(ColumnDef::new(I::RoundingLevel).string_len(16).not_null())
                    .col(ColumnDef::new(I::PaymentTermsDays).integer().not_null())
                    .col(ColumnDef::new(I::Memo).text().null())
                    .col(ColumnDef::new(I::Footer).text().null())
                    .col(amount(I::Subtotal))
                    .col(amount(I::DiscountTotal))
                    .col(amount(I::NetTotal))
                    .col(amount(I::TaxTotal))
                    .col(amount(I::Total))
                    .col(amount(I::AmountPaid))
                    .col(amount(I::AmountDue))
                    .col(ColumnDef::new(I::IssuedOn).date().null())
                    .col(ColumnDef::new(I::DueOn).date().null())
                    .col(ColumnDef::new(I::FinalizedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(I::ClosedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(I::CreatedBy).uuid().null())
                    .col(ColumnDef::new(I::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(I::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(I::Version).integer().not_null().default(1))
                    .foreign_key(&mut organization_fk(
                        "fk_billing_invoices_organization",
                        I::Table,
                        I::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_billing_invoices_organization", I::Table, [I::OrganizationId, I::Id]))
            .await?;
        manager
            .create_index(index(
                "ix_billing_invoices_status",
                I::Table,
                [I::OrganizationId, I::Status, I::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_billing_invoices_customer",
                I::Table,
                [I::OrganizationId, I::CustomerId, I::Id],
            ))
            .await?;
        manager
            .create_index(unique_index(
                "ux_billing_invoices_number",
                I::Table,
                [I::OrganizationId, I::Number],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BillingInvoiceLines::Table)
                    .col(ColumnDef::new(BillingInvoiceLines::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(BillingInvoiceLines::InvoiceId).uuid().not_null())
                    .col(ColumnDef::new(BillingInvoiceLines::Position).integer().not_null())
                    .col(ColumnDef::new(BillingInvoiceLines::Description).string_len(500).not_null())
                    .col(ColumnDef::new(BillingInvoiceLines::Quantity).big_integer().not_null())
                    .col(amount(BillingInvoiceLines::UnitAmount))
                    .col(ColumnDef::new(BillingInvoiceLines::DiscountPercent).big_integer().null())
                    .col(ColumnDef::new(BillingInvoiceLines::DiscountAmount).big_integer().null())
                    .col(ColumnDef::new(BillingInvoiceLines::TaxRateIds).text().not_null())
                    .col(amount(BillingInvoiceLines::Amount))
                    .col(amount(BillingInvoiceLines::Discount))
                    .col(amount(BillingInvoiceLines::Net))
                    .col(amount(BillingInvoiceLines::Tax))
                    .col(amount(BillingInvoiceLines::Total))
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_invoice_lines_invoice",
                        (BillingInvoiceLines::Table, BillingInvoiceLines::InvoiceId),
                        (I::Table, I::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_billing_invoice_lines_invoice",
                BillingInvoiceLines::Table,
                [BillingInvoiceLines::InvoiceId, BillingInvoiceLines::Position],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BillingInvoiceTaxes::Table)
                    .col(ColumnDef::new(BillingInvoiceTaxes::InvoiceId).uuid().not_null())
                    .col(ColumnDef::new(BillingInvoiceTaxes::TaxRateId).uuid().not_null())
                    .col(ColumnDef::new(BillingInvoiceTaxes::Position).integer().not_null())
                    .col(ColumnDef::new(BillingInvoiceTaxes::Name).string_len(100).not_null())
                    .col(ColumnDef::new(BillingInvoiceTaxes::Percent).big_integer().not_null())
                    .col(ColumnDef::new(BillingInvoiceTaxes::Inclusive).boolean().not_null())
                    .col(ColumnDef::new(BillingInvoiceTaxes::Compound).boolean().not_null())
                    .col(amount(BillingInvoiceTaxes::Base))
                    .col(amount(BillingInvoiceTaxes::Amount))
                    .primary_key(
                        Index::create()
                            .col(BillingInvoiceTaxes::InvoiceId)
                            .col(BillingInvoiceTaxes::TaxRateId),
                    )
                    .foreign_key(&mut cascade_fk(
                        "fk_billing_invoice_taxes_invoice",
                        (BillingInvoiceTaxes::Table, BillingInvoiceTaxes::InvoiceId),
                        (I::Table, I::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BillingNumberSeries::Table)
                    .col(ColumnDef::new(BillingNumberSeries::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(BillingNumberSeries::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(BillingNumberSeries::Year).integer().not_null())
                    .col(ColumnDef::new(BillingNumberSeries::NextValue).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(BillingNumberSeries::OrganizationId)
                            .col(BillingNumberSeries::Kind)
                            .col(BillingNumberSeries::Year),
                    )
                    .foreign_key(&mut organization_fk(
                        "fk_billing_number_series_organization",
                        BillingNumberSeries::Table,
                        BillingNumberSeries::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BillingLedgerEntries::Table)
                    .col(ColumnDef::new(BillingLedgerEntries::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(BillingLedgerEntries::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(BillingLedgerEntries::CustomerId).uuid().not_null())
                    .col(ColumnDef::new(BillingLedgerEntries::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(BillingLedgerEntries::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(BillingLedgerEntries::InvoiceId).uuid().null())
                    .col(ColumnDef::new(BillingLedgerEntries::Amount).big_integer().not_null())
                    .col(
                        ColumnDef::new(BillingLedgerEntries::CreatedAt).timestamp_with_time_zone().not_null(),
                    )
                    .foreign_key(&mut organization_fk(
                        "fk_billing_ledger_entries_organization",
                        BillingLedgerEntries::Table,
                        BillingLedgerEntries::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_billing_ledger_customer",
                BillingLedgerEntries::Table,
                [
                    BillingLedgerEntries::OrganizationId,
                    BillingLedgerEntries::CustomerId,
                    BillingLedgerEntries::Id,
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_billing_ledger_invoice",
                BillingLedgerEntries::Table,
                [BillingLedgerEntries::InvoiceId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            BillingLedgerEntries::Table.into_iden(),
            BillingNumberSeries::Table.into_iden(),
            BillingInvoiceTaxes::Table.into_iden(),
            BillingInvoiceLines::Table.into_iden(),
            BillingInvoices::Table.into_iden(),
            BillingTaxRates::Table.into_iden(),
            BillingSettings::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
