//! The leads tables as SeaORM entities. Other apps reach them through this app's services
//! and selectors, never directly.

/// A lead: a person or company that may become a customer.
pub mod lead {
    use sea_orm::entity::prelude::*;

    /// A lead row. `tags` is a JSON array of the lead's tags (also in `lead_tags`, which the
    /// tag filter uses); `search` is the lower-cased name, e-mail and company the `q` filter
    /// looks in.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "leads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub first_name: String,
        pub last_name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub company: Option<String>,
        pub title: Option<String>,
        pub website: Option<String>,
        pub address: Option<String>,
        pub source: String,
        pub owner_id: Option<Uuid>,
        pub pipeline_id: Uuid,
        pub stage_id: Uuid,
        pub status: String,
        pub lost_reason: Option<String>,
        pub stage_entered_at: DateTimeUtc,
        pub value_amount: Option<i64>,
        pub currency: Option<String>,
        pub tags: String,
        pub score: i32,
        pub utm_source: Option<String>,
        pub utm_medium: Option<String>,
        pub utm_campaign: Option<String>,
        pub utm_term: Option<String>,
        pub utm_content: Option<String>,
        pub notes: Option<String>,
        pub search: String,
        pub customer_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub converted_at: Option<DateTimeUtc>,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One tag of a lead, for the tag filter.
pub mod lead_tag {
    use sea_orm::entity::prelude::*;

    /// A lead–tag row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lead_tags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub lead_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag: String,
        pub organization_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A pipeline: an ordered list of stages leads move through.
pub mod pipeline {
    use sea_orm::entity::prelude::*;

    /// A pipeline row; each organization has exactly one default pipeline.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lead_pipelines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub is_default: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A stage of a pipeline.
pub mod stage {
    use sea_orm::entity::prelude::*;

    /// A stage row; `kind` is `open`, `won` or `lost`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lead_stages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub pipeline_id: Uuid,
        pub name: String,
        pub kind: String,
        pub position: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An entry of a lead's timeline.
pub mod activity {
    use sea_orm::entity::prelude::*;

    /// An activity row; `data` is JSON whose shape depends on `kind`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lead_activities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub lead_id: Uuid,
        pub kind: String,
        pub author_id: Option<Uuid>,
        pub body: String,
        pub data: Option<String>,
        pub occurred_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A rule that assigns new leads without an owner.
pub mod assignment_rule {
    use sea_orm::entity::prelude::*;

    /// A rule row: leads from `source` (any source when `None`) go round-robin to
    /// `member_ids` (a JSON array of user ids); `next_index` is where the rotation stands.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lead_assignment_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub position: i32,
        pub source: Option<String>,
        pub member_ids: String,
        pub next_index: i64,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A CSV import: the uploaded file, its mapping, progress and report.
pub mod lead_import {
    use sea_orm::entity::prelude::*;

    /// An import row. `content` holds the file until the import completes or fails.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lead_imports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub created_by: Option<Uuid>,
        pub file_name: String,
        pub content: Option<Vec<u8>>,
        pub delimiter: String,
        pub columns: String,
        pub mapping: String,
        pub on_duplicate: String,
        pub status: String,
        pub rows_total: i64,
        pub rows_done: i64,
        pub report: Option<String>,
        pub error: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The kind of a stage, which is also the status of the leads in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StageKind {
    /// Work in progress.
    Open,
    /// Closed, won: final unless reopened.
    Won,
    /// Closed, lost (with a reason): final unless reopened.
    Lost,
}

impl StageKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "won" => Some(Self::Won),
            "lost" => Some(Self::Lost),
            _ => None,
        }
    }

    /// Won and lost are final.
    pub fn is_final(self) -> bool {
        self != Self::Open
    }
}

/// What an activity records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A note.
    Note,
    /// A phone call.
    Call,
    /// A meeting.
    Meeting,
    /// An e-mail sent or received.
    Email,
    /// A move to another stage (recorded by the service).
    StageChange,
    /// A new owner (recorded by the service).
    Assignment,
    /// Another lead merged into this one (recorded by the service).
    Merge,
    /// Conversion into a customer (recorded by the service).
    Conversion,
    /// A task linked to the lead (recorded from the tasks app's events).
    Task,
}

impl ActivityKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Call => "call",
            Self::Meeting => "meeting",
            Self::Email => "email",
            Self::StageChange => "stage_change",
            Self::Assignment => "assignment",
            Self::Merge => "merge",
            Self::Conversion => "conversion",
            Self::Task => "task",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Note,
            Self::Call,
            Self::Meeting,
            Self::Email,
            Self::StageChange,
            Self::Assignment,
            Self::Merge,
            Self::Conversion,
            Self::Task,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }

    /// Whether people log it by hand (the others are recorded by services).
    pub fn is_manual(self) -> bool {
        matches!(self, Self::Note | Self::Call | Self::Meeting | Self::Email)
    }
}
