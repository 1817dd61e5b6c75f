//! The catalog and subscription tables as SeaORM entities (columns in
//! `migration/subscriptions.rs`).

/// A product an organization sells.
pub mod product {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_products")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub description: Option<String>,
        /// A JSON array of tax rate ids its lines get.
        pub tax_rate_ids: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A price of a product in one currency: one-off, or recurring every `interval_count`
/// `interval`s. Immutable once made, like Stripe's; archived by `active = false`.
pub mod price {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_prices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub product_id: Uuid,
        pub currency: String,
        pub unit_amount: i64,
        pub interval: Option<String>,
        pub interval_count: Option<i32>,
        pub active: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A customer's subscription to a recurring price. Period `n` runs from
/// `anchor + n × interval` to `anchor + (n + 1) × interval`; `period_index` is the current one
/// (−1 during a trial).
pub mod subscription {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_subscriptions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub customer_id: Uuid,
        pub price_id: Uuid,
        pub quantity: i32,
        pub status: String,
        pub anchor: DateTimeUtc,
        pub period_index: i32,
        pub current_period_start: DateTimeUtc,
        pub current_period_end: DateTimeUtc,
        pub trial_end: Option<DateTimeUtc>,
        pub cancel_at_period_end: bool,
        pub canceled_at: Option<DateTimeUtc>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A period of a subscription that was renewed, with its invoice (none while paused).
pub mod subscription_period {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_subscription_periods")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub subscription_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub period_index: i32,
        pub period_start: DateTimeUtc,
        pub period_end: DateTimeUtc,
        pub invoice_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What a mid-period change of a subscription is owed (positive) or owes (negative), until an
/// invoice takes it.
pub mod proration {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_prorations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub subscription_id: Uuid,
        pub amount: i64,
        pub description: String,
        pub created_at: DateTimeUtc,
        pub invoice_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
