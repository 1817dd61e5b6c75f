//! The access epoch: a counter that moves whenever who may do what changes — a role given or
//! taken, a role's grants edited, a member added or removed, a user deactivated, an API token
//! revoked. The authenticator caches each credential's resolved principal tagged with the
//! epoch it was read at, and trusts it only while the epoch has not moved, so every such
//! change takes effect at the next request in every process.
//!
//! - Within a process, [`access_changed`] bumps a process-wide counter at once.
//! - On PostgreSQL it also sends `NOTIFY baseops_access` in the change's transaction, which
//!   every process's listener receives at commit (and a process whose listener is down trusts
//!   no cached principal).
//! - On SQLite, where processes share one file, it increments the `access_epochs` row in the
//!   change's transaction; the authenticator reads that row (one primary-key read) per request.

use std::sync::atomic::{AtomicU64, Ordering};

use baseops_config::DatabaseKind;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr, Statement};

/// The PostgreSQL channel access changes are announced on.
pub const CHANNEL: &str = "baseops_access";

/// The process-wide part of the epoch.
static LOCAL: AtomicU64 = AtomicU64::new(0);

#[derive(sea_orm::DeriveIden)]
pub(crate) enum AccessEpochs {
    Table,
    Id,
    Epoch,
}

/// Records, in the caller's transaction, that access changed: cached principals stop being
/// trusted in this process now and in every other at commit.
///
/// # Errors
/// Database errors.
pub async fn access_changed(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    bump_local();
    match baseops_db::kind_of_backend(txn.get_database_backend()) {
        DatabaseKind::Postgres => {
            let notify = format!("SELECT pg_notify('{CHANNEL}', '')");
            txn.execute_raw(Statement::from_string(txn.get_database_backend(), notify)).await?;
        }
        DatabaseKind::Sqlite => {
            let bump = Query::update()
                .table(AccessEpochs::Table)
                .value(AccessEpochs::Epoch, Expr::col(AccessEpochs::Epoch).add(1))
                .and_where(Expr::col(AccessEpochs::Id).eq(1))
                .to_owned();
            txn.execute(&bump).await?;
        }
    }
    Ok(())
}

/// Moves the process-wide epoch (a change here, or a notification from another process).
pub fn bump_local() {
    LOCAL.fetch_add(1, Ordering::AcqRel);
}

/// The process-wide epoch.
pub fn local() -> u64 {
    LOCAL.load(Ordering::Acquire)
}

/// The stored epoch (SQLite; always 0 on PostgreSQL, which announces changes instead).
///
/// # Errors
/// Database errors.
pub async fn stored(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let query = Query::select()
        .column(AccessEpochs::Epoch)
        .from(AccessEpochs::Table)
        .and_where(Expr::col(AccessEpochs::Id).eq(1))
        .to_owned();
    match db.query_one(&query).await? {
        Some(row) => row.try_get("", "epoch"),
        None => Ok(0),
    }
}
