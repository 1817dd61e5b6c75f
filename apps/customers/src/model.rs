//! The customers table as a SeaORM entity.

/// A customer of one organization.
pub mod customer {
    use sea_orm::entity::prelude::*;

    /// A customer row; `lead_id` names the lead it was converted from, if any.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub company: Option<String>,
        pub lead_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
        pub legal_name: Option<String>,
        /// JSON of an [`crate::profile::Address`].
        pub billing_address: Option<String>,
        /// JSON of an [`crate::profile::Address`].
        pub shipping_address: Option<String>,
        /// A JSON array of [`crate::profile::TaxId`].
        pub tax_ids: String,
        pub tax_exempt: String,
        pub currency: Option<String>,
        pub payment_terms_days: Option<i32>,
        /// A JSON array of e-mail addresses.
        pub billing_emails: String,
        pub locale: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
