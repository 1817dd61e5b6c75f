//! The notifications tables. They run after the users app's: both refer to `users`.

use baseops_db::schema::{cascade_fk, organization_fk};
use sea_orm_migration::prelude::*;

/// The notifications migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateNotifications), Box::new(AddPreferenceVersions)]
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    OrganizationId,
    Kind,
    Title,
    Body,
    Link,
    EventId,
    InApp,
    ReadAt,
    DigestedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotificationPreferences {
    Table,
    UserId,
    Kind,
    InApp,
    Email,
    Digest,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

struct CreateNotifications;

impl MigrationName for CreateNotifications {
    fn name(&self) -> &str {
        "notifications_0001_create_notifications"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateNotifications {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(ColumnDef::new(Notifications::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Notifications::UserId).uuid().not_null())
                    .col(ColumnDef::new(Notifications::OrganizationId).uuid().null())
                    .col(ColumnDef::new(Notifications::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(Notifications::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Notifications::Body).text().not_null())
                    .col(ColumnDef::new(Notifications::Link).string_len(500).null())
                    .col(ColumnDef::new(Notifications::EventId).uuid().null())
                    .col(ColumnDef::new(Notifications::InApp).boolean().not_null())
                    .col(ColumnDef::new(Notifications::ReadAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Notifications::DigestedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Notifications::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut cascade_fk(
                        "fk_notifications_user",
                        (Notifications::Table, Notifications::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut organization_fk(
                        "fk_notifications_organization",
                        Notifications::Table,
                        Notifications::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        // One notification per user, kind and event: a re-delivered event adds nothing.
        manager
            .create_index(
                Index::create()
                    .name("ux_notifications_user_kind_event")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::Kind)
                    .col(Notifications::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The list (newest first, by UUIDv7 id) and the unread count.
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_user_list")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::InApp)
                    .col(Notifications::ReadAt)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;
        // The daily digest looks for undigested unread rows.
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_digest")
                    .table(Notifications::Table)
                    .col(Notifications::DigestedAt)
                    .col(Notifications::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationPreferences::Table)
                    .col(ColumnDef::new(NotificationPreferences::UserId).uuid().not_null())
                    .col(ColumnDef::new(NotificationPreferences::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(NotificationPreferences::InApp).boolean().not_null())
                    .col(ColumnDef::new(NotificationPreferences::Email).boolean().not_null())
                    .col(ColumnDef::new(NotificationPreferences::Digest).boolean().not_null())
                    .col(
                        ColumnDef::new(NotificationPreferences::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(NotificationPreferences::UserId)
                            .col(NotificationPreferences::Kind),
                    )
                    .foreign_key(&mut cascade_fk(
                        "fk_notification_preferences_user",
                        (NotificationPreferences::Table, NotificationPreferences::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(NotificationPreferences::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Notifications::Table).to_owned()).await
    }
}

/// Optimistic concurrency for `PUT /notifications/preferences/{kind}` (`If-Match`): a
/// preference's `version`, bumped by every write. Preferences that exist start at 1.
struct AddPreferenceVersions;

impl MigrationName for AddPreferenceVersions {
    fn name(&self) -> &str {
        "notifications_0002_add_preference_versions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddPreferenceVersions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let version =
            ColumnDef::new(NotificationPreferences::Version).integer().not_null().default(1).to_owned();
        let alter = Table::alter().table(NotificationPreferences::Table).add_column(version).to_owned();
        manager.alter_table(alter).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let alter = Table::alter()
            .table(NotificationPreferences::Table)
            .drop_column(NotificationPreferences::Version)
            .to_owned();
        manager.alter_table(alter).await
    }
}
