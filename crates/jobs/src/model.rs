//! The jobs table as a SeaORM entity.

/// A job row.
pub mod job {
    use sea_orm::entity::prelude::*;

    /// One job: what to run, its state and its history of attempts.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub queue: String,
        pub name: String,
        pub payload: String,
        pub priority: i32,
        pub state: String,
        pub attempts: i32,
        pub max_attempts: i32,
        pub timeout_secs: i32,
        pub run_at: DateTimeUtc,
        pub locked_until: Option<DateTimeUtc>,
        pub locked_by: Option<String>,
        pub dedup_key: Option<String>,
        pub last_error: Option<String>,
        pub organization_id: Option<Uuid>,
        pub request_id: Option<String>,
        pub created_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
