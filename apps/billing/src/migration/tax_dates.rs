//! `billing_0009_add_tax_rate_effective_dates`: the days a tax rate applies from and to (both
//! inclusive, either open). One column per statement: SQLite alters one thing at a time.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden, Clone, Copy)]
enum BillingTaxRates {
    Table,
    EffectiveFrom,
    EffectiveTo,
}

pub(super) struct AddTaxRateEffectiveDates;

impl MigrationName for AddTaxRateEffectiveDates {
    fn name(&self) -> &str {
        "billing_0009_add_tax_rate_effective_dates"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddTaxRateEffectiveDates {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [BillingTaxRates::EffectiveFrom, BillingTaxRates::EffectiveTo] {
            manager
                .alter_table(
                    Table::alter()
                        .table(BillingTaxRates::Table)
                        .add_column(ColumnDef::new(column).date().null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [BillingTaxRates::EffectiveTo, BillingTaxRates::EffectiveFrom] {
            manager
                .alter_table(Table::alter().table(BillingTaxRates::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
