//! Migrations: every app owns a list, the composition root orders the lists, and one
//! [`Migrator`] applies them.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use baseops_config::{DatabaseKind, DatabaseSettings};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use sea_orm_migration::{MigrationName, MigrationStatus, MigrationTrait, MigratorTraitSelf, SchemaManager};

use crate::{Database, DbError, connect::connect_single};

/// An app's migrations, oldest first.
pub type MigrationList = fn() -> Vec<Box<dyn MigrationTrait>>;

/// Key of the PostgreSQL advisory lock that serializes `migrate` across processes.
const MIGRATION_LOCK_KEY: i64 = 0x0062_6173_656f_7073; // "baseops" in ASCII

/// Every app's migrations, in the order the composition root lists the apps.
#[derive(Clone, Debug, Default)]
pub struct Migrator {
    lists: Vec<MigrationList>,
    /// Set once the database was seen with every migration applied: a schema does not go
    /// back, so readiness probes stop querying the migrations table after that.
    seen_current: Arc<AtomicBool>,
}

/// One migration and whether the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    /// The migration's unique name.
    pub name: String,
    /// Applied to this database.
    pub applied: bool,
}

impl Migrator {
    /// Collects the lists.
    ///
    /// # Errors
    /// [`DbError::DuplicateMigration`] when two migrations share a name: the name is the key
    /// recorded in the database, so a duplicate would silently never run.
    pub fn new(lists: Vec<MigrationList>) -> Result<Self, DbError> {
        let migrator = Self { lists, seen_current: Arc::default() };
        let mut seen = HashSet::new();
        for migration in migrator.migrations() {
            if !seen.insert(migration.name().to_owned()) {
                return Err(DbError::DuplicateMigration(migration.name().to_owned()));
            }
        }
        Ok(migrator)
    }

    /// Each known migration and whether it is applied. Never changes the database.
    ///
    /// # Errors
    /// A query error, or migrations applied to the database that this version does not know.
    pub async fn status(&self, db: &Database) -> Result<Vec<MigrationState>, DbError> {
        let migrations = self.get_migration_with_status_read_only(db.read()).await?;
        Ok(migrations
            .iter()
            .map(|migration| MigrationState {
                name: migration.name().to_owned(),
                applied: migration.status() == MigrationStatus::Applied,
            })
            .collect())
    }

    /// Names of the migrations not yet applied.
    ///
    /// # Errors
    /// As [`Migrator::status`].
    pub async fn pending(&self, db: &Database) -> Result<Vec<String>, DbError> {
        Ok(self
            .status(db)
            .await?
            .into_iter()
            .filter(|state| !state.applied)
            .map(|state| state.name)
            .collect())
    }

    /// Whether every migration is applied; after the first `true`, answers without a query.
    ///
    /// # Errors
    /// As [`Migrator::status`].
    pub async fn is_current(&self, db: &Database) -> Result<bool, DbError> {
        if self.seen_current.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let current = self.pending(db).await?.is_empty();
        if current {
            self.seen_current.store(true, Ordering::Relaxed);
        }
        Ok(current)
    }

    /// Fails with [`DbError::SchemaBehind`] unless every migration is applied.
    ///
    /// # Errors
    /// [`DbError::SchemaBehind`] or a query error.
    pub async fn ensure_current(&self, db: &Database) -> Result<(), DbError> {
        let pending = self.pending(db).await?;
        if pending.is_empty() { Ok(()) } else { Err(DbError::SchemaBehind { pending }) }
    }

    /// Applies the pending migrations, each in its own transaction, and returns their names.
    ///
    /// On PostgreSQL a session advisory lock makes concurrent `migrate` runs (several nodes
    /// starting at once) wait for each other instead of racing.
    ///
    /// # Errors
    /// The failing migration's error; migrations before it stay applied.
    pub async fn apply(&self, settings: &DatabaseSettings) -> Result<Vec<String>, DbError> {
        let connection = connect_single(settings).await?;
        let result = self.apply_on(&connection).await;
        // Closing ends the session, which also releases the advisory lock on every path.
        let _ = connection.close_by_ref().await;
        result
    }

    async fn apply_on(&self, connection: &DatabaseConnection) -> Result<Vec<String>, DbError> {
        if crate::kind_of(connection) == DatabaseKind::Postgres {
            let lock = format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})");
            connection.execute_raw(Statement::from_string(connection.get_database_backend(), lock)).await?;
        }
        let pending: Vec<String> =
            self.get_pending_migrations(connection).await?.iter().map(|m| m.name().to_owned()).collect();
        for name in &pending {
            tracing::info!(migration = %name, "applying migration");
        }
        self.up(connection, None).await?;
        Ok(pending)
    }
}

impl MigratorTraitSelf for Migrator {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        self.lists
            .iter()
            .flat_map(|list| list())
            .map(|migration| Box::new(Transactional(migration)) as Box<dyn MigrationTrait>)
            .collect()
    }
}

/// Runs a migration in a transaction on SQLite too (sea-orm-migration's default there is
/// none), so a failing migration leaves no half-made schema on either engine. A migration
/// that must run outside a transaction says so with `use_transaction() == Some(false)`.
struct Transactional(Box<dyn MigrationTrait>);

impl MigrationName for Transactional {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Transactional {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.down(manager).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(self.0.use_transaction().unwrap_or(true))
    }
}
