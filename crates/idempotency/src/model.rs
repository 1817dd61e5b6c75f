//! The `idempotency_keys` and `idempotent_requests` tables as SeaORM entities.

/// One claimed key.
pub mod idempotency_key {
    use sea_orm::entity::prelude::*;

    /// A key claimed by a create request: who sent it where, the hash of what they sent,
    /// and the id of the record the first request created.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub principal: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub endpoint: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// SHA-256 of the request, lowercase hex.
        pub request_hash: String,
        pub resource_id: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One write request made with an `Idempotency-Key`, and its answer once it has one.
pub mod idempotent_request {
    use sea_orm::entity::prelude::*;

    /// A claimed key: who sent it to which route, the hash of what they sent, and the answer
    /// to replay (`None` while the first request runs).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotent_requests")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub principal: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub endpoint: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// SHA-256 of method, route, path with query, and body; lowercase hex.
        pub request_hash: String,
        pub status: Option<i32>,
        /// The kept response headers, as a JSON array of [name, value] pairs.
        pub headers: Option<String>,
        pub body: Option<Vec<u8>>,
        pub created_at: DateTimeUtc,
        /// The request holding the claim (its `X-Request-Id`, as its audit events carry it).
        pub request_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
