//! The notifications tables as SeaORM entities.

/// One notification for one user.
pub mod notification {
    use sea_orm::entity::prelude::*;

    /// A notification row. `in_app = false` rows exist only for the e-mail digest and for
    /// idempotency; they are not listed nor pushed.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub organization_id: Option<Uuid>,
        pub kind: String,
        pub title: String,
        pub body: String,
        pub link: Option<String>,
        pub event_id: Option<Uuid>,
        pub in_app: bool,
        pub read_at: Option<DateTimeUtc>,
        pub digested_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A user's channels for one notification kind (or `*`, their default for every kind).
pub mod preference {
    use sea_orm::entity::prelude::*;

    /// A preference row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notification_preferences")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        pub in_app: bool,
        pub email: bool,
        pub digest: bool,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The few columns of `users` (owned by the users app) a notification's delivery needs: this
/// shared service sits below the apps and does not depend on them.
pub mod recipient {
    use sea_orm::entity::prelude::*;

    /// A user as a recipient.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub email: String,
        pub display_name: String,
        pub locale: String,
        pub is_active: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
