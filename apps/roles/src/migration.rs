//! The roles app's migrations. They run after the users app's: `membership_roles` refers to
//! `memberships` and `roles` to `organizations`.

use baseops_db::schema::{cascade_fk, organization_fk};
use sea_orm_migration::prelude::*;

/// The roles app's migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateRoles), Box::new(CreateAccessEpochs), Box::new(AddRoleVersions)]
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    OrganizationId,
    Key,
    Name,
    Description,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum RoleGrants {
    Table,
    RoleId,
    Permission,
    Scope,
}

#[derive(DeriveIden)]
enum MembershipRoles {
    Table,
    MembershipId,
    RoleId,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
}

struct CreateRoles;

impl MigrationName for CreateRoles {
    fn name(&self) -> &str {
        "roles_0001_create_roles"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateRoles {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(ColumnDef::new(Roles::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Roles::OrganizationId).uuid().not_null())
                    .col(ColumnDef::new(Roles::Key).string_len(32).null())
                    .col(ColumnDef::new(Roles::Name).string_len(64).not_null())
                    .col(ColumnDef::new(Roles::Description).string_len(500).not_null())
                    .col(ColumnDef::new(Roles::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Roles::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut organization_fk(
                        "fk_roles_organization",
                        Roles::Table,
                        Roles::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in
            [("ux_roles_organization_name", Roles::Name), ("ux_roles_organization_key", Roles::Key)]
        {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Roles::Table)
                        .col(Roles::OrganizationId)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RoleGrants::Table)
                    .col(ColumnDef::new(RoleGrants::RoleId).uuid().not_null())
                    .col(ColumnDef::new(RoleGrants::Permission).string_len(100).not_null())
                    .col(ColumnDef::new(RoleGrants::Scope).string_len(3).not_null())
                    .primary_key(Index::create().col(RoleGrants::RoleId).col(RoleGrants::Permission))
                    .foreign_key(&mut cascade_fk(
                        "fk_role_grants_role",
                        (RoleGrants::Table, RoleGrants::RoleId),
                        (Roles::Table, Roles::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MembershipRoles::Table)
                    .col(ColumnDef::new(MembershipRoles::MembershipId).uuid().not_null())
                    .col(ColumnDef::new(MembershipRoles::RoleId).uuid().not_null())
                    .primary_key(
                        Index::create().col(MembershipRoles::MembershipId).col(MembershipRoles::RoleId),
                    )
                    .foreign_key(&mut cascade_fk(
                        "fk_membership_roles_membership",
                        (MembershipRoles::Table, MembershipRoles::MembershipId),
                        (Memberships::Table, Memberships::Id),
                    ))
                    .foreign_key(&mut cascade_fk(
                        "fk_membership_roles_role",
                        (MembershipRoles::Table, MembershipRoles::RoleId),
                        (Roles::Table, Roles::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_membership_roles_role")
                    .table(MembershipRoles::Table)
                    .col(MembershipRoles::RoleId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(MembershipRoles::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(RoleGrants::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Roles::Table).to_owned()).await
    }
}

/// The access epoch (see `epoch.rs`): one row, moved by every change of who may do what.
struct CreateAccessEpochs;

impl MigrationName for CreateAccessEpochs {
    fn name(&self) -> &str {
        "roles_0002_create_access_epochs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAccessEpochs {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use crate::epoch::AccessEpochs;
        manager
            .create_table(
                Table::create()
                    .table(AccessEpochs::Table)
                    .col(ColumnDef::new(AccessEpochs::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(AccessEpochs::Epoch).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        let row = Query::insert()
            .into_table(AccessEpochs::Table)
            .columns([AccessEpochs::Id, AccessEpochs::Epoch])
            .values_panic([1.into(), 0_i64.into()])
            .to_owned();
        manager.exec_stmt(row).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(crate::epoch::AccessEpochs::Table).to_owned()).await
    }
}

/// Optimistic concurrency for `PATCH /roles/{id}` (`If-Match`): a role's `version`, bumped by
/// every change of its name, description or grants. Roles that exist start at 1.
struct AddRoleVersions;

impl MigrationName for AddRoleVersions {
    fn name(&self) -> &str {
        "roles_0003_add_role_versions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddRoleVersions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let version = ColumnDef::new(Roles::Version).integer().not_null().default(1).to_owned();
        manager.alter_table(Table::alter().table(Roles::Table).add_column(version).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Roles::Table).drop_column(Roles::Version).to_owned()).await
    }
}
