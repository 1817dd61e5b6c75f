//! The roles app's migrations. They run after the users app's: `membership_roles` refers to
//! `memberships` and `roles` to `organizations`.

use sea_orm_migration::prelude::*;

/// The roles app's migrations, oldest first.
pub(crate) fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateRoles)]
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
enum Organizations {
    Table,
    Id,
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
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_roles_organization")
                            .from(Roles::Table, Roles::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
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
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_grants_role")
                            .from(RoleGrants::Table, RoleGrants::RoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
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
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_membership_roles_membership")
                            .from(MembershipRoles::Table, MembershipRoles::MembershipId)
                            .to(Memberships::Table, Memberships::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_membership_roles_role")
                            .from(MembershipRoles::Table, MembershipRoles::RoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
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
