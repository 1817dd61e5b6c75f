//! The users app's migrations, oldest first.

use baseops_db::schema::cascade_fk;
use sea_orm_migration::prelude::*;

mod auth_throttle;
pub(crate) mod totp_secret;

/// The users app's migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CreateIdentityTables),
        Box::new(CreateOneTimeTokens),
        Box::new(AddTwoFactor),
        Box::new(AddVersions),
        Box::new(auth_throttle::AuthThrottle),
        Box::new(totp_secret::WidenTotpSecret),
    ]
}

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    TimeZone,
    Locale,
    AvatarKey,
    PasswordHash,
    IsActive,
    IsSuperuser,
    EmailVerifiedAt,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
    TotpSecret,
    TotpEnabledAt,
    TotpLastStep,
    Version,
}

#[derive(DeriveIden)]
pub(crate) enum Organizations {
    Table,
    Id,
    Name,
    Slug,
    Currency,
    TimeZone,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
pub(crate) enum Memberships {
    Table,
    Id,
    OrganizationId,
    UserId,
    CreatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    CsrfToken,
    Ip,
    UserAgent,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    OrganizationId,
    Name,
    Prefix,
    TokenHash,
    Scopes,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum LoginThrottle {
    Table,
    Key,
    Failures,
    LockedUntil,
    UpdatedAt,
}

struct CreateIdentityTables;

/// The first throttle's table, created here and again by `users_0005_auth_throttle`'s `down`.
pub(crate) fn login_throttle_table() -> TableCreateStatement {
    Table::create()
        .table(LoginThrottle::Table)
        .col(ColumnDef::new(LoginThrottle::Key).string_len(300).not_null().primary_key())
        .col(ColumnDef::new(LoginThrottle::Failures).integer().not_null())
        .col(optional_timestamp(LoginThrottle::LockedUntil))
        .col(timestamp(LoginThrottle::UpdatedAt))
        .to_owned()
}

impl MigrationName for CreateIdentityTables {
    fn name(&self) -> &str {
        "users_0001_create_identity_tables"
    }
}

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).timestamp_with_time_zone().not_null().to_owned()
}

fn optional_timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).timestamp_with_time_zone().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for CreateIdentityTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Users::Email).string_len(254).not_null().unique_key())
                    .col(ColumnDef::new(Users::DisplayName).string_len(100).not_null())
                    .col(ColumnDef::new(Users::TimeZone).string_len(64).not_null())
                    .col(ColumnDef::new(Users::Locale).string_len(16).not_null())
                    .col(ColumnDef::new(Users::AvatarKey).string_len(255).null())
                    .col(ColumnDef::new(Users::PasswordHash).string_len(255).null())
                    .col(ColumnDef::new(Users::IsActive).boolean().not_null())
                    .col(ColumnDef::new(Users::IsSuperuser).boolean().not_null())
                    .col(optional_timestamp(Users::EmailVerifiedAt))
                    .col(optional_timestamp(Users::LastLoginAt))
                    .col(timestamp(Users::CreatedAt))
                    .col(timestamp(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(ColumnDef::new(Organizations::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Organizations::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Organizations::Slug).string_len(63).not_null().unique_key())
                    .col(ColumnDef::new(Organizations::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(Organizations::TimeZone).string_len(64).not_null())
                    .col(timestamp(Organizations::CreatedAt))
                    .col(timestamp(Organizations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(ColumnDef::new(Memberships::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Memberships::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Memberships::UserId).uuid().not_null())
                    .col(timestamp(Memberships::CreatedAt))
                    .foreign_key(&mut cascade_fk(
                        "fk_memberships_organization",
                        (Memberships::Table, Memberships::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fk_memberships_user",
                        (Memberships::Table, Memberships::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_memberships_organization_user")
                    .table(Memberships::Table)
                    .col(Memberships::OrganizationId)
                    .col(Memberships::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_memberships_user")
                    .table(Memberships::Table)
                    .col(Memberships::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(ColumnDef::new(Sessions::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Sessions::TokenHash).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Sessions::UserId).uuid().not_null())
                    .col(ColumnDef::new(Sessions::CsrfToken).string_len(64).not_null())
                    .col(ColumnDef::new(Sessions::Ip).string_len(45).null())
                    .col(ColumnDef::new(Sessions::UserAgent).string_len(256).null())
                    .col(timestamp(Sessions::CreatedAt))
                    .col(timestamp(Sessions::LastSeenAt))
                    .col(timestamp(Sessions::ExpiresAt))
                    .foreign_key(&mut cascade_fk(
                        "fk_sessions_user",
                        (Sessions::Table, Sessions::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_user")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(ColumnDef::new(ApiTokens::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ApiTokens::UserId).uuid().not_null())
                    .col(ColumnDef::new(ApiTokens::OrganizationId).uuid().null())
                    .col(ColumnDef::new(ApiTokens::Name).string_len(100).not_null())
                    .col(ColumnDef::new(ApiTokens::Prefix).string_len(16).not_null())
                    .col(ColumnDef::new(ApiTokens::TokenHash).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(ApiTokens::Scopes).text().not_null())
                    .col(optional_timestamp(ApiTokens::ExpiresAt))
                    .col(optional_timestamp(ApiTokens::LastUsedAt))
                    .col(optional_timestamp(ApiTokens::RevokedAt))
                    .col(timestamp(ApiTokens::CreatedAt))
                    .foreign_key(&mut cascade_fk(
                        "fk_api_tokens_user",
                        (ApiTokens::Table, ApiTokens::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fk_api_tokens_organization",
                        (ApiTokens::Table, ApiTokens::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_api_tokens_user")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::UserId)
                    .to_owned(),
            )
            .await?;
        manager.create_table(login_throttle_table()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LoginThrottle::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Memberships::Table.into_iden(),
            Organizations::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
    CreatedAt,
}

struct AddTwoFactor;

impl MigrationName for AddTwoFactor {
    fn name(&self) -> &str {
        "users_0003_add_two_factor"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddTwoFactor {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            ColumnDef::new(Users::TotpSecret).string_len(64).null().to_owned(),
            optional_timestamp(Users::TotpEnabledAt),
            ColumnDef::new(Users::TotpLastStep).big_integer().null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Users::Table).add_column(column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(ColumnDef::new(RecoveryCodes::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(RecoveryCodes::UserId).uuid().not_null())
                    .col(ColumnDef::new(RecoveryCodes::CodeHash).string_len(64).not_null())
                    .col(optional_timestamp(RecoveryCodes::UsedAt))
                    .col(timestamp(RecoveryCodes::CreatedAt))
                    .foreign_key(&mut cascade_fk(
                        "fk_recovery_codes_user",
                        (RecoveryCodes::Table, RecoveryCodes::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_recovery_codes_user")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RecoveryCodes::Table).to_owned()).await?;
        for column in [Users::TotpLastStep, Users::TotpEnabledAt, Users::TotpSecret] {
            manager.alter_table(Table::alter().table(Users::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum OneTimeTokens {
    Table,
    Id,
    Purpose,
    TokenHash,
    UserId,
    OrganizationId,
    Email,
    RoleKey,
    CreatedBy,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

/// Single-use links: password resets, e-mail verifications and invitations.
struct CreateOneTimeTokens;

impl MigrationName for CreateOneTimeTokens {
    fn name(&self) -> &str {
        "users_0002_create_one_time_tokens"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateOneTimeTokens {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OneTimeTokens::Table)
                    .col(ColumnDef::new(OneTimeTokens::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(OneTimeTokens::Purpose).string_len(32).not_null())
                    .col(ColumnDef::new(OneTimeTokens::TokenHash).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(OneTimeTokens::UserId).uuid().null())
                    .col(ColumnDef::new(OneTimeTokens::OrganizationId).uuid().null())
                    .col(ColumnDef::new(OneTimeTokens::Email).string_len(254).not_null())
                    .col(ColumnDef::new(OneTimeTokens::RoleKey).string_len(32).null())
                    .col(ColumnDef::new(OneTimeTokens::CreatedBy).uuid().null())
                    .col(timestamp(OneTimeTokens::ExpiresAt))
                    .col(optional_timestamp(OneTimeTokens::UsedAt))
                    .col(timestamp(OneTimeTokens::CreatedAt))
                    .foreign_key(&mut cascade_fk(
                        "fk_one_time_tokens_user",
                        (OneTimeTokens::Table, OneTimeTokens::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fk_one_time_tokens_organization",
                        (OneTimeTokens::Table, OneTimeTokens::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The per-user throttle counts a user's recent links; an organization lists its
        // invitations.
        manager
            .create_index(
                Index::create()
                    .name("ix_one_time_tokens_user")
                    .table(OneTimeTokens::Table)
                    .col(OneTimeTokens::UserId)
                    .col(OneTimeTokens::Purpose)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_one_time_tokens_organization")
                    .table(OneTimeTokens::Table)
                    .col(OneTimeTokens::OrganizationId)
                    .col(OneTimeTokens::Purpose)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OneTimeTokens::Table).to_owned()).await
    }
}

/// Optimistic concurrency for the updates that accept `If-Match`: a `version` on
/// organizations (`PATCH /organizations/{id}`), on users (their profile, `PATCH /me`) and on
/// memberships (their role set, `PUT /members/{id}/roles`). Rows that exist start at 1.
struct AddVersions;

impl MigrationName for AddVersions {
    fn name(&self) -> &str {
        "users_0004_add_versions"
    }
}

fn version(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).integer().not_null().default(1).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for AddVersions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            (Organizations::Table.into_iden(), version(Organizations::Version)),
            (Users::Table.into_iden(), version(Users::Version)),
            (Memberships::Table.into_iden(), version(Memberships::Version)),
        ] {
            manager.alter_table(Table::alter().table(table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            (Memberships::Table.into_iden(), Memberships::Version.into_iden()),
            (Users::Table.into_iden(), Users::Version.into_iden()),
            (Organizations::Table.into_iden(), Organizations::Version.into_iden()),
        ] {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
