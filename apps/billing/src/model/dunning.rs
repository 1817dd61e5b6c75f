//! Dunning: an organization's reminder schedule and the reminders sent.

/// An organization's reminder schedule and late fee.
pub mod dunning_policy {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_dunning_policies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        /// A JSON array of day offsets from the due date, ascending.
        pub steps: String,
        /// Ten-thousandths of a percent of the amount due.
        pub late_fee_percent: Option<i64>,
        /// Minor units of the invoice's currency.
        pub late_fee_amount: Option<i64>,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A reminder sent: one per invoice and step.
pub mod dunning_send {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_dunning_sends")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub invoice_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub step: i32,
        pub organization_id: Uuid,
        pub sent_at: DateTimeUtc,
        /// Where it went; `None` when the customer has no address.
        pub email_to: Option<String>,
        /// The late fee's invoice, made with the first reminder after the due date.
        pub late_fee_invoice_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
