//! Helpers for apps' migrations, so every app declares the same things the same way: the
//! foreign key to the tenant, a cascading foreign key, indexes.
//!
//! ```ignore
//! use baseops_db::schema::{index, organization_fk};
//! manager.create_table(Table::create().table(Leads::Table)
//!     .col(ColumnDef::new(Leads::OrganizationId).uuid().not_null())
//!     .foreign_key(&mut organization_fk("fk_leads_organization", Leads::Table, Leads::OrganizationId))
//!     .to_owned()).await?;
//! manager.create_index(index("ix_leads_organization_id", Leads::Table, [Leads::OrganizationId, Leads::Id])).await?;
//! ```

use sea_orm_migration::prelude::*;

/// The tenant of every business record: the users app's `organizations` table.
#[derive(DeriveIden, Clone, Copy)]
pub enum Organizations {
    /// The table.
    Table,
    /// Its key.
    Id,
}

/// The users app's `users` table, for records that belong to a person.
#[derive(DeriveIden, Clone, Copy)]
pub enum Users {
    /// The table.
    Table,
    /// Its key.
    Id,
}

/// A foreign key `name` from `table.column` to the organization, deleting the row with it.
pub fn organization_fk(
    name: &str,
    table: impl IntoTableRef,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    cascade_fk(name, (table, column), (Organizations::Table, Organizations::Id))
}

/// A foreign key `name` from `from` (table, column) to `to`, deleting the row with the one it
/// points at.
pub fn cascade_fk(
    name: &str,
    from: (impl IntoTableRef, impl IntoIden),
    to: (impl IntoTableRef, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// An index `name` over `columns` of `table`, in that order.
pub fn index<C: IntoIden>(
    name: &str,
    table: impl IntoTableRef,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}

/// A unique index `name` over `columns` of `table`.
pub fn unique_index<C: IntoIden>(
    name: &str,
    table: impl IntoTableRef,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    index(name, table, columns).unique().to_owned()
}
