//! The tasks tables as SeaORM entities. Other apps reach tasks through this crate's
//! services and selectors, never these entities.

/// A task of one organization.
pub mod task {
    use sea_orm::entity::prelude::*;

    /// A task row. `status` is a stage key of the organization's workflow; `priority` is a
    /// [`crate::Priority`] rank; `description` is Markdown source (rendered on read).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tasks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub title: String,
        pub description: String,
        pub status: String,
        pub priority: i16,
        pub due_at: Option<DateTimeUtc>,
        pub estimate_minutes: Option<i32>,
        pub parent_id: Option<Uuid>,
        pub related_type: Option<String>,
        pub related_id: Option<Uuid>,
        pub recurrence_id: Option<Uuid>,
        pub recurrence_seq: Option<i32>,
        pub overdue_notified_for: Option<DateTimeUtc>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub completed_at: Option<DateTimeUtc>,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A person assigned to a task.
pub mod task_assignee {
    use sea_orm::entity::prelude::*;

    /// An assignment row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_assignees")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub task_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A person watching a task (notified of its changes).
pub mod task_watcher {
    use sea_orm::entity::prelude::*;

    /// A watcher row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_watchers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub task_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A label on a task; the organization is repeated so a label filter stays in one index.
pub mod task_label {
    use sea_orm::entity::prelude::*;

    /// A label row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_labels")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub task_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub label: String,
        pub organization_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A comment on a task (Markdown source).
pub mod task_comment {
    use sea_orm::entity::prelude::*;

    /// A comment row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_comments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub task_id: Uuid,
        pub organization_id: Uuid,
        pub author_id: Uuid,
        pub body: String,
        pub created_at: DateTimeUtc,
        pub edited_at: Option<DateTimeUtc>,
        /// Bumped by every edit (`If-Match` of `PATCH /tasks/{id}/comments/{comment_id}`).
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A file attached to a task; the bytes live in the storage service under `storage_key`.
pub mod task_attachment {
    use sea_orm::entity::prelude::*;

    /// An attachment row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_attachments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub task_id: Uuid,
        pub organization_id: Uuid,
        pub file_name: String,
        pub content_type: String,
        pub size_bytes: i64,
        pub storage_key: String,
        pub uploaded_by: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An organization's workflow definition (absent: the default workflow).
pub mod task_workflow {
    use sea_orm::entity::prelude::*;

    /// A workflow row; `stages` is the JSON of [`crate::workflow::Workflow`]'s stages.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_workflows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        pub stages: String,
        pub version: i32,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A recurring series: its rule and where it stands. Its occurrences are tasks with
/// `recurrence_id` = this id and `recurrence_seq` 1, 2, …
pub mod task_recurrence {
    use sea_orm::entity::prelude::*;

    /// A series row; `rule` is the JSON of a [`crate::recurrence::RecurrenceRule`].
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_recurrences")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub rule: String,
        pub latest_task_id: Uuid,
        pub last_seq: i32,
        pub next_due_at: DateTimeUtc,
        pub active: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
