//! The write pool's connection: a `DatabaseConnection` whose transactions start as write
//! transactions on SQLite (`BEGIN IMMEDIATE`).
//!
//! SQLite's default `BEGIN` (deferred) starts a read transaction that becomes a write one at
//! its first write. When another process (a separate `worker`, a CLI command, a second
//! `serve`) committed in between, that upgrade fails at once with `SQLITE_BUSY` — the busy
//! timeout cannot help, the snapshot is stale — and the request would be a 500. Taking the
//! write lock at `BEGIN` makes a second writer wait its turn (up to the busy timeout) instead.
//! Within one process the write pool's single connection already serializes writers, so this
//! costs nothing there. PostgreSQL transactions are unchanged.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    IsolationLevel, QueryResult, SqliteTransactionMode, Statement, TransactionError, TransactionOptions,
    TransactionTrait,
};

/// The write pool (see the module's documentation); derefs to its `DatabaseConnection`.
#[derive(Clone, Debug)]
pub struct WriteConnection(DatabaseConnection);

impl WriteConnection {
    /// Wraps the write pool's connection.
    pub fn new(connection: DatabaseConnection) -> Self {
        Self(connection)
    }

    /// The connection itself (for APIs that take a `DatabaseConnection` by value).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.0
    }

    fn options(&self, mut options: TransactionOptions) -> TransactionOptions {
        if self.0.get_database_backend() == DbBackend::Sqlite && options.sqlite_transaction_mode.is_none() {
            options.sqlite_transaction_mode = Some(SqliteTransactionMode::Immediate);
        }
        options
    }
}

impl Deref for WriteConnection {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.0
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteConnection {
    fn get_database_backend(&self) -> DbBackend {
        self.0.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.0.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.0.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.0.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.0.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.0.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.0.is_mock_connection()
    }
}

#[async_trait::async_trait]
impl TransactionTrait for WriteConnection {
    type Transaction = DatabaseTransaction;

    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.0.begin_with_options(self.options(TransactionOptions::default())).await
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<DatabaseTransaction, DbErr> {
        let options = TransactionOptions { isolation_level, access_mode, sqlite_transaction_mode: None };
        self.0.begin_with_options(self.options(options)).await
    }

    async fn begin_with_options(&self, options: TransactionOptions) -> Result<DatabaseTransaction, DbErr> {
        self.0.begin_with_options(self.options(options)).await
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        run(self.begin().await.map_err(TransactionError::Connection)?, callback).await
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        let txn = self
            .begin_with_config(isolation_level, access_mode)
            .await
            .map_err(TransactionError::Connection)?;
        run(txn, callback).await
    }
}

/// Runs `callback` in `txn`: committed when it succeeds, rolled back when it fails.
async fn run<F, T, E>(txn: DatabaseTransaction, callback: F) -> Result<T, TransactionError<E>>
where
    F: for<'c> FnOnce(&'c DatabaseTransaction) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
        + Send,
    T: Send,
    E: std::fmt::Display + std::fmt::Debug + Send,
{
    match callback(&txn).await {
        Ok(value) => {
            txn.commit().await.map_err(TransactionError::Connection)?;
            Ok(value)
        }
        Err(error) => {
            txn.rollback().await.map_err(TransactionError::Connection)?;
            Err(TransactionError::Transaction(error))
        }
    }
}

impl<'c> From<&'c WriteConnection> for sea_orm::DatabaseExecutor<'c> {
    fn from(write: &'c WriteConnection) -> Self {
        (&write.0).into()
    }
}

impl<'c> sea_orm::IntoDatabaseExecutor<'c> for &'c WriteConnection {
    fn into_database_executor(self) -> sea_orm::DatabaseExecutor<'c> {
        sea_orm::DatabaseExecutor::Connection(&self.0)
    }
}
