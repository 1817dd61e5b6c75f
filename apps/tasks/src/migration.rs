//! The tasks app's migrations. They run after the users app's (`tasks` refers to
//! `organizations`).
//!
//! The indexes follow the reads: the default list is one organization's tasks newest first
//! (`(organization_id, id)`, ids being time-ordered UUIDv7), a status filter or a board
//! column is `(organization_id, status, id)`; both serve keyset pagination, so a page costs
//! the same at 10 thousand tasks as at a million.

mod search_words;

use baseops_db::schema::{index, organization_fk, unique_index};
use sea_orm_migration::prelude::*;

/// The tasks app's migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateTasks), Box::new(AddCommentVersions), Box::new(search_words::SearchWords)]
}

#[derive(DeriveIden, Clone, Copy)]
enum Tasks {
    Table,
    Id,
    OrganizationId,
    Title,
    Description,
    Status,
    Priority,
    DueAt,
    EstimateMinutes,
    ParentId,
    RelatedType,
    RelatedId,
    RecurrenceId,
    RecurrenceSeq,
    OverdueNotifiedFor,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    CompletedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum TaskAssignees {
    Table,
    TaskId,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum TaskWatchers {
    Table,
    TaskId,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum TaskLabels {
    Table,
    TaskId,
    Label,
    OrganizationId,
}

#[derive(DeriveIden, Clone, Copy)]
enum TaskComments {
    Table,
    Id,
    TaskId,
    OrganizationId,
    AuthorId,
    Body,
    CreatedAt,
    EditedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum TaskAttachments {
    Table,
    Id,
    TaskId,
    OrganizationId,
    FileName,
    ContentType,
    SizeBytes,
    StorageKey,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TaskWorkflows {
    Table,
    OrganizationId,
    Stages,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TaskRecurrences {
    Table,
    Id,
    OrganizationId,
    Rule,
    LatestTaskId,
    LastSeq,
    NextDueAt,
    Active,
    CreatedAt,
}

struct CreateTasks;

impl MigrationName for CreateTasks {
    fn name(&self) -> &str {
        "tasks_0001_create_tasks"
    }
}

fn task_fk<T: Iden + 'static>(name: &str, table: T, column: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Tasks::Table, Tasks::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A (task, user) table — assignees, watchers — with its reverse index for "tasks of a user".
async fn user_links<T: Iden + Copy + 'static>(
    manager: &SchemaManager<'_>,
    table: T,
    task: T,
    user: T,
    fk: &str,
    reverse: &str,
) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(table)
                .col(ColumnDef::new(task).uuid().not_null())
                .col(ColumnDef::new(user).uuid().not_null())
                .primary_key(Index::create().col(task).col(user))
                .foreign_key(&mut task_fk(fk, table, task))
                .to_owned(),
        )
        .await?;
    manager.create_index(index(reverse, table, [user, task])).await
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTasks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(ColumnDef::new(Tasks::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Tasks::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Tasks::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Tasks::Description).text().not_null())
                    .col(ColumnDef::new(Tasks::Status).string_len(32).not_null())
                    .col(ColumnDef::new(Tasks::Priority).small_integer().not_null())
                    .col(ColumnDef::new(Tasks::DueAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Tasks::EstimateMinutes).integer().null())
                    .col(ColumnDef::new(Tasks::ParentId).uuid().null())
                    .col(ColumnDef::new(Tasks::RelatedType).string_len(32).null())
                    .col(ColumnDef::new(Tasks::RelatedId).uuid().null())
                    .col(ColumnDef::new(Tasks::RecurrenceId).uuid().null())
                    .col(ColumnDef::new(Tasks::RecurrenceSeq).integer().null())
                    .col(ColumnDef::new(Tasks::OverdueNotifiedFor).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Tasks::CreatedBy).uuid().not_null())
                    .col(ColumnDef::new(Tasks::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Tasks::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Tasks::CompletedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Tasks::Version).integer().not_null())
                    .foreign_key(&mut organization_fk(
                        "fk_tasks_organization",
                        Tasks::Table,
                        Tasks::OrganizationId,
                    ))
                    // A parent with sub-tasks cannot be deleted (the service answers 409 first).
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tasks_parent")
                            .from(Tasks::Table, Tasks::ParentId)
                            .to(Tasks::Table, Tasks::Id),
                    )
                    .to_owned(),
            )
            .await?;
        use Tasks::{
            CreatedBy, DueAt, Id, OrganizationId, ParentId, Priority, RelatedId, RelatedType, Status,
        };
        let task_indexes: [(&str, &[Tasks], bool); 8] = [
            ("ix_tasks_organization_id", &[OrganizationId, Id], false),
            ("ix_tasks_organization_status_id", &[OrganizationId, Status, Id], false),
            ("ix_tasks_organization_priority_id", &[OrganizationId, Priority, Id], false),
            ("ix_tasks_organization_due_at", &[OrganizationId, DueAt], false),
            ("ix_tasks_organization_created_by_id", &[OrganizationId, CreatedBy, Id], false),
            ("ix_tasks_organization_related", &[OrganizationId, RelatedType, RelatedId], false),
            ("ix_tasks_parent", &[ParentId], false),
            // Exactly one task per place in a recurring series.
            ("ux_tasks_recurrence_seq", &[Tasks::RecurrenceId, Tasks::RecurrenceSeq], true),
        ];
        for (name, columns, unique) in task_indexes {
            let columns = columns.iter().copied();
            let statement = if unique {
                unique_index(name, Tasks::Table, columns)
            } else {
                index(name, Tasks::Table, columns)
            };
            manager.create_index(statement).await?;
        }

        user_links(
            manager,
            TaskAssignees::Table,
            TaskAssignees::TaskId,
            TaskAssignees::UserId,
            "fk_task_assignees_task",
            "ix_task_assignees_user",
        )
        .await?;
        user_links(
            manager,
            TaskWatchers::Table,
            TaskWatchers::TaskId,
            TaskWatchers::UserId,
            "fk_task_watchers_task",
            "ix_task_watchers_user",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(TaskLabels::Table)
                    .col(ColumnDef::new(TaskLabels::TaskId).uuid().not_null())
                    .col(ColumnDef::new(TaskLabels::Label).string_len(50).not_null())
                    .col(ColumnDef::new(TaskLabels::OrganizationId).uuid().not_null())
                    .primary_key(Index::create().col(TaskLabels::TaskId).col(TaskLabels::Label))
                    .foreign_key(&mut task_fk("fk_task_labels_task", TaskLabels::Table, TaskLabels::TaskId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_task_labels_organization_label",
                TaskLabels::Table,
                [TaskLabels::OrganizationId, TaskLabels::Label, TaskLabels::TaskId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TaskComments::Table)
                    .col(ColumnDef::new(TaskComments::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(TaskComments::TaskId).uuid().not_null())
                    .col(ColumnDef::new(TaskComments::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(TaskComments::AuthorId).uuid().not_null())
                    .col(ColumnDef::new(TaskComments::Body).text().not_null())
                    .col(ColumnDef::new(TaskComments::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(TaskComments::EditedAt).timestamp_with_time_zone().null())
                    .foreign_key(&mut task_fk(
                        "fk_task_comments_task",
                        TaskComments::Table,
                        TaskComments::TaskId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_task_comments_task",
                TaskComments::Table,
                [TaskComments::TaskId, TaskComments::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TaskAttachments::Table)
                    .col(ColumnDef::new(TaskAttachments::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(TaskAttachments::TaskId).uuid().not_null())
                    .col(ColumnDef::new(TaskAttachments::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(TaskAttachments::FileName).string_len(255).not_null())
                    .col(ColumnDef::new(TaskAttachments::ContentType).string_len(127).not_null())
                    .col(ColumnDef::new(TaskAttachments::SizeBytes).big_integer().not_null())
                    .col(ColumnDef::new(TaskAttachments::StorageKey).string_len(255).not_null())
                    .col(ColumnDef::new(TaskAttachments::UploadedBy).uuid().not_null())
                    .col(ColumnDef::new(TaskAttachments::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut task_fk(
                        "fk_task_attachments_task",
                        TaskAttachments::Table,
                        TaskAttachments::TaskId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_task_attachments_task",
                TaskAttachments::Table,
                [TaskAttachments::TaskId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TaskWorkflows::Table)
                    .col(ColumnDef::new(TaskWorkflows::OrganizationId).uuid().not_null().primary_key())
                    .col(ColumnDef::new(TaskWorkflows::Stages).text().not_null())
                    .col(ColumnDef::new(TaskWorkflows::Version).integer().not_null())
                    .col(ColumnDef::new(TaskWorkflows::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut organization_fk(
                        "fk_task_workflows_organization",
                        TaskWorkflows::Table,
                        TaskWorkflows::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TaskRecurrences::Table)
                    .col(ColumnDef::new(TaskRecurrences::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(TaskRecurrences::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(TaskRecurrences::Rule).text().not_null())
                    .col(ColumnDef::new(TaskRecurrences::LatestTaskId).uuid().not_null())
                    .col(ColumnDef::new(TaskRecurrences::LastSeq).integer().not_null())
                    .col(ColumnDef::new(TaskRecurrences::NextDueAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(TaskRecurrences::Active).boolean().not_null())
                    .col(ColumnDef::new(TaskRecurrences::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut organization_fk(
                        "fk_task_recurrences_organization",
                        TaskRecurrences::Table,
                        TaskRecurrences::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        // What the schedule scans: active series whose next occurrence is due.
        manager
            .create_index(index(
                "ix_task_recurrences_due",
                TaskRecurrences::Table,
                [TaskRecurrences::Active, TaskRecurrences::NextDueAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TaskRecurrences::Table.into_iden(),
            TaskWorkflows::Table.into_iden(),
            TaskAttachments::Table.into_iden(),
            TaskComments::Table.into_iden(),
            TaskLabels::Table.into_iden(),
            TaskWatchers::Table.into_iden(),
            TaskAssignees::Table.into_iden(),
            Tasks::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// Optimistic concurrency for editing a comment (`If-Match` on
/// `PATCH /tasks/{id}/comments/{comment_id}`): a comment's `version`, bumped by every edit.
/// Comments that exist start at 1.
struct AddCommentVersions;

impl MigrationName for AddCommentVersions {
    fn name(&self) -> &str {
        "tasks_0002_add_comment_versions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddCommentVersions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let version = ColumnDef::new(TaskComments::Version).integer().not_null().default(1).to_owned();
        manager.alter_table(Table::alter().table(TaskComments::Table).add_column(version).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter().table(TaskComments::Table).drop_column(TaskComments::Version).to_owned();
        manager.alter_table(drop).await
    }
}
