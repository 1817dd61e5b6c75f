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
        /// 1 when first set, bumped by every later write (`If-Match` of
        /// `PUT /notifications/preferences/{kind}`).
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
