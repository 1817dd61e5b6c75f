//! The billing tables as SeaORM entities (columns in `migration/`).

mod catalog;
mod dunning;

pub use catalog::{price, product, proration, subscription, subscription_period};
pub use dunning::{dunning_policy, dunning_send};

/// An organization's billing settings (rounding, numbering prefix, terms).
pub mod settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        pub rounding_mode: String,
        pub rounding_level: String,
        pub invoice_prefix: String,
        pub payment_terms_days: i32,
        pub footer: Option<String>,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A tax rate of an organization.
pub mod tax_rate {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_tax_rates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub jurisdiction: Option<String>,
        pub percent: i64,
        pub inclusive: bool,
        pub compound: bool,
        pub archived: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
        pub effective_from: Option<Date>,
        pub effective_to: Option<Date>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An invoice: a draft, or a finalized (numbered, immutable) document.
pub mod invoice {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_invoices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub customer_id: Uuid,
        pub number: Option<String>,
        pub status: String,
        pub currency: String,
        pub discount_percent: Option<i64>,
        pub discount_amount: Option<i64>,
        pub rounding_mode: String,
        pub rounding_level: String,
        pub payment_terms_days: i32,
        pub memo: Option<String>,
        pub footer: Option<String>,
        pub subtotal: i64,
        pub discount_total: i64,
        pub net_total: i64,
        pub tax_total: i64,
        pub total: i64,
        pub amount_paid: i64,
        pub amount_due: i64,
        pub amount_credited: i64,
        pub issued_on: Option<Date>,
        pub due_on: Option<Date>,
        pub finalized_at: Option<DateTimeUtc>,
        pub closed_at: Option<DateTimeUtc>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A line of an invoice, with the figures the totals computed for it.
pub mod invoice_line {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_invoice_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub invoice_id: Uuid,
        pub position: i32,
        /// The catalog's price the line bills, if any.
        pub price_id: Option<Uuid>,
        pub description: String,
        pub quantity: i64,
        pub unit_amount: i64,
        pub discount_percent: Option<i64>,
        pub discount_amount: Option<i64>,
        /// A JSON array of tax rate ids.
        pub tax_rate_ids: String,
        pub amount: i64,
        pub discount: i64,
        pub net: i64,
        pub tax: i64,
        pub total: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One rate's line of an invoice's tax summary, with the rate as it was applied.
pub mod invoice_tax {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_invoice_taxes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub invoice_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tax_rate_id: Uuid,
        pub position: i32,
        pub name: String,
        pub percent: i64,
        pub inclusive: bool,
        pub compound: bool,
        pub base: i64,
        pub amount: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The next number of a document series.
pub mod number_series {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_number_series")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        pub next_value: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An append-only record of money owed or settled by a customer.
pub mod ledger_entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_ledger_entries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub customer_id: Uuid,
        pub currency: String,
        pub kind: String,
        pub invoice_id: Option<Uuid>,
        /// Receivable: positive raises what the customer owes.
        pub amount: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A payment received from a customer; `unapplied` went to their credit balance.
pub mod payment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_payments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub customer_id: Uuid,
        pub currency: String,
        pub amount: i64,
        pub unapplied: i64,
        pub method: String,
        pub reference: Option<String>,
        pub received_on: Date,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub refunded: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What a payment paid of one invoice.
pub mod payment_allocation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_payment_allocations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub payment_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub invoice_id: Uuid,
        pub amount: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A credit note: part or all of a finalized invoice taken back.
pub mod credit_note {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_credit_notes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub invoice_id: Uuid,
        pub customer_id: Uuid,
        pub number: String,
        pub currency: String,
        pub amount: i64,
        pub reduced_due: i64,
        pub to_balance: i64,
        pub refunded: i64,
        pub reason: String,
        pub memo: Option<String>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A customer's unused credit in one currency (never below 0).
pub mod credit_balance {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_credit_balances")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub currency: String,
        pub balance: i64,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Credit of a customer spent on one of their invoices.
pub mod credit_application {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_credit_applications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub customer_id: Uuid,
        pub invoice_id: Uuid,
        pub currency: String,
        pub amount: i64,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Money of a payment paid back to the customer; `from_credit` of it came off their credit.
pub mod refund {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_refunds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub payment_id: Uuid,
        pub customer_id: Uuid,
        pub currency: String,
        pub amount: i64,
        pub from_credit: i64,
        pub reason: Option<String>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
