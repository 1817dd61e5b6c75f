//! The audit tables as SeaORM entities. Private to the crate: other apps read events through
//! [`crate::selector`] and write them through [`crate::service`], never through the tables.

/// One recorded event, a link of its chain once sealed: `seq`, `prev_hash` and `hash` are
/// `NULL` from [`crate::record`] until [`crate::seal()`] fills all three together.
pub(crate) mod audit_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub chain: String,
        pub seq: Option<i64>,
        pub organization_id: Option<Uuid>,
        pub actor_type: String,
        pub actor_id: Option<String>,
        pub action: String,
        pub entity_type: String,
        pub entity_id: String,
        pub changes: String,
        pub ip: Option<String>,
        pub user_agent: Option<String>,
        pub request_id: String,
        pub created_at: String,
        pub prev_hash: Option<String>,
        pub hash: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The head of each chain: its last sealed sequence number and hash. Written by the sealer
/// only.
pub(crate) mod audit_chain {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_chains")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub chain: String,
        pub seq: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
