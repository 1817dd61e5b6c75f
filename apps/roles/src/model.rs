//! The roles tables as SeaORM entities.

/// A role of one organization.
pub mod role {
    use sea_orm::entity::prelude::*;

    /// A role row; `key` is set for the seeded default roles and survives renaming.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub key: Option<String>,
        pub name: String,
        pub description: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Bumped by every change of the name, description or grants (`If-Match` of
        /// `PATCH /roles/{id}`).
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One permission a role grants, with its scope (`own` or `all`).
pub mod role_grant {
    use sea_orm::entity::prelude::*;

    /// A grant row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "role_grants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub role_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub permission: String,
        pub scope: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A role given to a membership.
pub mod membership_role {
    use sea_orm::entity::prelude::*;

    /// A membership–role row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "membership_roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub membership_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub role_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
