//! `users_0005_auth_throttle`: the brute-force throttle moves from a failure count with a lock
//! that never expired (`login_throttle`) to reservations counted in a window that does
//! (`auth_throttle`, see `service::throttle`). Times are Unix milliseconds so that the one
//! reservation statement can compare and add them the same way on SQLite and PostgreSQL.
//! The old counters are dropped, not carried over: they only ever slowed guessers down.

use sea_orm_migration::prelude::*;

use super::{LoginThrottle, login_throttle_table};

pub(super) struct AuthThrottle;

impl MigrationName for AuthThrottle {
    fn name(&self) -> &str {
        "users_0005_auth_throttle"
    }
}

#[derive(DeriveIden)]
enum AuthThrottleTable {
    #[sea_orm(iden = "auth_throttle")]
    Table,
    Key,
    Failures,
    WindowEndsMs,
    LockedUntilMs,
}

#[async_trait::async_trait]
impl MigrationTrait for AuthThrottle {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(LoginThrottle::Table).to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthThrottleTable::Table)
                    .col(ColumnDef::new(AuthThrottleTable::Key).string_len(600).not_null().primary_key())
                    .col(ColumnDef::new(AuthThrottleTable::Failures).integer().not_null())
                    .col(ColumnDef::new(AuthThrottleTable::WindowEndsMs).big_integer().not_null())
                    .col(ColumnDef::new(AuthThrottleTable::LockedUntilMs).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // The hourly purge deletes by window end.
        manager
            .create_index(
                Index::create()
                    .name("ix_auth_throttle_window_ends")
                    .table(AuthThrottleTable::Table)
                    .col(AuthThrottleTable::WindowEndsMs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AuthThrottleTable::Table).to_owned()).await?;
        manager.create_table(login_throttle_table()).await
    }
}
