//! `users_0006_widen_totp_secret`: `users.totp_secret` holds a sealed secret (see
//! `secret_box`), 67 characters where the base32 one took 32, so the column widens from 64 to
//! [`TOTP_SECRET_LEN`].
//!
//! Only PostgreSQL enforces the length; SQLite ignores it, and cannot alter a column anyway.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// The widened column's length: room for a sealed secret and a later format.
pub(crate) const TOTP_SECRET_LEN: u32 = 128;

pub(super) struct WidenTotpSecret;

impl MigrationName for WidenTotpSecret {
    fn name(&self) -> &str {
        "users_0006_widen_totp_secret"
    }
}

async fn set_len(manager: &SchemaManager<'_>, len: u32) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let sql = format!("ALTER TABLE users ALTER COLUMN totp_secret TYPE varchar({len})");
    manager.get_connection().execute_unprepared(&sql).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for WidenTotpSecret {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_len(manager, TOTP_SECRET_LEN).await
    }

    /// Fails while any secret is sealed (turn those users' two-factor login off first): the
    /// old column has no room for one.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_len(manager, 64).await
    }
}
