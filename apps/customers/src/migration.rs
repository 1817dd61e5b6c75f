//! The customers app's migration: the `customers` table. The lead link is a plain column
//! (no foreign key): the leads app refers to customers, and each app's tables stay its own.

use baseops_db::schema::organization_fk;
use sea_orm_migration::prelude::*;

/// The customers app's migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateCustomers), Box::new(AddBillingProfile)]
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    OrganizationId,
    Name,
    Email,
    Phone,
    Company,
    LeadId,
    CreatedAt,
    UpdatedAt,
    Version,
}

struct CreateCustomers;

impl MigrationName for CreateCustomers {
    fn name(&self) -> &str {
        "customers_0001_create_customers"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCustomers {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(ColumnDef::new(Customers::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Customers::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Customers::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Customers::Email).string_len(254).null())
                    .col(ColumnDef::new(Customers::Phone).string_len(32).null())
                    .col(ColumnDef::new(Customers::Company).string_len(200).null())
                    .col(ColumnDef::new(Customers::LeadId).uuid().null())
                    .col(ColumnDef::new(Customers::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Customers::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Customers::Version).integer().not_null().default(1))
                    .foreign_key(&mut organization_fk(
                        "fk_customers_organization",
                        Customers::Table,
                        Customers::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_organization_id")
                    .table(Customers::Table)
                    .col(Customers::OrganizationId)
                    .col(Customers::Id)
                    .to_owned(),
            )
            .await?;
        // One customer per lead: a retried conversion can't create a second one.
        manager
            .create_index(
                Index::create()
                    .name("ux_customers_lead")
                    .table(Customers::Table)
                    .col(Customers::LeadId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Customers::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Profile {
    LegalName,
    BillingAddress,
    ShippingAddress,
    TaxIds,
    TaxExempt,
    Currency,
    PaymentTermsDays,
    BillingEmails,
    Locale,
}

/// The billing profile: legal name, addresses and tax ids (JSON text), tax treatment,
/// currency, payment terms, billing contacts (a JSON array) and locale.
struct AddBillingProfile;

impl MigrationName for AddBillingProfile {
    fn name(&self) -> &str {
        "customers_0002_add_billing_profile"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddBillingProfile {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            ColumnDef::new(Profile::LegalName).string_len(200).null().to_owned(),
            ColumnDef::new(Profile::BillingAddress).text().null().to_owned(),
            ColumnDef::new(Profile::ShippingAddress).text().null().to_owned(),
            ColumnDef::new(Profile::TaxIds).text().not_null().default("[]").to_owned(),
            ColumnDef::new(Profile::TaxExempt).string_len(16).not_null().default("none").to_owned(),
            ColumnDef::new(Profile::Currency).string_len(3).null().to_owned(),
            ColumnDef::new(Profile::PaymentTermsDays).integer().null().to_owned(),
            ColumnDef::new(Profile::BillingEmails).text().not_null().default("[]").to_owned(),
            ColumnDef::new(Profile::Locale).string_len(16).null().to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(Table::alter().table(Customers::Table).add_column(&mut column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Profile::LegalName,
            Profile::BillingAddress,
            Profile::ShippingAddress,
            Profile::TaxIds,
            Profile::TaxExempt,
            Profile::Currency,
            Profile::PaymentTermsDays,
            Profile::BillingEmails,
            Profile::Locale,
        ] {
            manager
                .alter_table(Table::alter().table(Customers::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
