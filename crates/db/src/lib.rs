//! The database layer: one [`Database`] value holding a write pool for services and a read
//! pool for selectors (a PostgreSQL replica when `database.replica_url` is set), and the
//! [`Migrator`] that applies every app's migrations in a fixed order.
//!
//! SQLite is tuned in one place ([`connect`]): WAL, foreign keys, a busy timeout, and a
//! single writer connection so concurrent writers queue in the pool instead of failing with
//! `SQLITE_BUSY`.

mod connect;
mod listen;
mod migrate;
pub mod schema;
pub mod search;
mod search_index;
mod write;

pub use connect::{Database, PoolStats, connect, connect_existing, sqlite_file};
pub use listen::listener;
pub use migrate::{MigrationList, MigrationState, Migrator};
pub use sea_orm;
pub use sea_orm_migration;
pub use write::WriteConnection;

use baseops_config::DatabaseKind;

/// Errors of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database stayed unreachable for the whole retry window.
    #[error("cannot reach the database at {url} after {waited_secs}s: {source}")]
    Unreachable {
        /// The URL with its password masked.
        url: String,
        /// How long start-up kept trying.
        waited_secs: u64,
        /// The last connection error.
        source: sea_orm::DbErr,
    },
    /// The SQLite file's directory could not be created.
    #[error("cannot create the directory for the SQLite database {path}: {source}")]
    SqliteDirectory {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A one-shot command found no database where the settings point.
    #[error(
        "no database at {path}: run `baseops migrate` (or `baseops serve`) there first, or point BASEOPS_DATABASE__URL at one"
    )]
    NoDatabase {
        /// The SQLite file that does not exist.
        path: String,
    },
    /// The URL names an engine baseops does not run on.
    #[error("unsupported database URL (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// Two apps declared migrations with the same name.
    #[error("migration {0} is declared twice; migration names must be unique across apps")]
    DuplicateMigration(String),
    /// The schema is behind this version of baseops.
    #[error("the database schema is behind: {} pending migration(s), first {}; run `baseops migrate`", pending.len(), pending.first().map(String::as_str).unwrap_or(""))]
    SchemaBehind {
        /// Names of the pending migrations.
        pending: Vec<String>,
    },
    /// Any other database error.
    #[error(transparent)]
    Query(#[from] sea_orm::DbErr),
}

/// The engine of a connected database.
pub fn kind_of(connection: &sea_orm::DatabaseConnection) -> DatabaseKind {
    kind_of_backend(connection.get_database_backend())
}

/// The engine a connection or transaction talks to.
pub fn kind_of_backend(backend: sea_orm::DbBackend) -> DatabaseKind {
    match backend {
        sea_orm::DbBackend::Postgres => DatabaseKind::Postgres,
        _ => DatabaseKind::Sqlite,
    }
}
