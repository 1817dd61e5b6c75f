//! Opening the pools: SQLite tuning, PostgreSQL replica, and retry with back-off at start.

use std::time::{Duration, Instant};

use baseops_config::{DatabaseKind, DatabaseSettings, Secret, masked_url};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, DatabaseConnection, DbBackend, DbErr};

use crate::{DbError, WriteConnection};

/// Longest pause between two connection attempts at start-up.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// The write pool (services) and the read pool (selectors).
///
/// On PostgreSQL without a replica both are the same pool. On SQLite the write pool has a
/// single connection and the read pool opens the file read-only.
#[derive(Clone, Debug)]
pub struct Database {
    write: WriteConnection,
    read: DatabaseConnection,
    kind: DatabaseKind,
}

/// Size and idle connections of one pool, for the `/metrics` gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// `write` or `read`.
    pub pool: &'static str,
    /// Open connections.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
}

impl Database {
    /// The pool for writes. Services use it, inside one transaction per change.
    pub fn write(&self) -> &WriteConnection {
        &self.write
    }

    /// The pool for reads. Selectors use it; it may lag behind the write pool on a replica.
    pub fn read(&self) -> &DatabaseConnection {
        &self.read
    }

    /// The engine.
    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// Checks that both pools answer a query.
    ///
    /// # Errors
    /// The first pool's error.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.write.ping().await?;
        self.read.ping().await
    }

    /// Current size of each pool.
    pub fn pool_stats(&self) -> [PoolStats; 2] {
        [stats("write", &self.write), stats("read", &self.read)]
    }

    /// Closes both pools; later queries fail. Used at shutdown and by tests.
    pub async fn close(&self) {
        // Errors here mean the pool is already closed, which is the goal.
        let _ = self.write.close_by_ref().await;
        let _ = self.read.close_by_ref().await;
    }
}

fn stats(pool: &'static str, connection: &DatabaseConnection) -> PoolStats {
    let (size, idle) = match connection.get_database_backend() {
        DbBackend::Postgres => {
            let pool = connection.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = connection.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    PoolStats { pool, size, idle: u32::try_from(idle).unwrap_or(u32::MAX) }
}

/// Opens the pools, retrying with back-off for `database.connect_retry_secs`.
///
/// # Errors
/// [`DbError::Unreachable`] once the retry window has passed, naming the (masked) URL and
/// the last cause.
pub async fn connect(settings: &DatabaseSettings) -> Result<Database, DbError> {
    let kind = settings.kind().ok_or(DbError::UnsupportedUrl)?;
    match kind {
        DatabaseKind::Sqlite => {
            create_sqlite_directory(settings.url.expose())?;
            let write = connect_with_retry(settings, &settings.url, Pool::SqliteWriter).await?;
            let read = connect_with_retry(settings, &settings.url, Pool::SqliteReader).await?;
            Ok(Database { write: WriteConnection::new(write), read, kind })
        }
        DatabaseKind::Postgres => {
            let write = connect_with_retry(settings, &settings.url, Pool::Postgres).await?;
            let read = match &settings.replica_url {
                Some(replica) => connect_with_retry(settings, replica, Pool::Postgres).await?,
                None => write.clone(),
            };
            Ok(Database { write: WriteConnection::new(write), read, kind })
        }
    }
}

/// Opens a single PostgreSQL or SQLite connection for work that must stay on one session
/// (migrations under an advisory lock).
pub(crate) async fn connect_single(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbError> {
    let pool = match settings.kind().ok_or(DbError::UnsupportedUrl)? {
        DatabaseKind::Sqlite => {
            create_sqlite_directory(settings.url.expose())?;
            Pool::SqliteWriter
        }
        DatabaseKind::Postgres => Pool::Single,
    };
    connect_with_retry(settings, &settings.url, pool).await
}

#[derive(Clone, Copy, Debug)]
enum Pool {
    SqliteWriter,
    SqliteReader,
    Postgres,
    Single,
}

/// How long a pooled connection may sit idle before it is pinged on checkout.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

fn options(settings: &DatabaseSettings, url: &Secret, pool: Pool) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.expose().to_owned());
    let max = match pool {
        // One writer: SQLite allows one write transaction at a time anyway, and queueing in
        // the pool beats failing with SQLITE_BUSY.
        Pool::SqliteWriter | Pool::Single => 1,
        Pool::SqliteReader => settings.max_connections.max(2),
        Pool::Postgres => settings.max_connections,
    };
    options
        .max_connections(max)
        .min_connections(settings.min_connections.min(max))
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        .connect_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        // sqlx pings a connection on every checkout by default: one hidden round trip per
        // acquire (a token-authenticated write acquires four times). A connection in steady
        // use is alive; only one idle long enough for a server, proxy or firewall to have
        // dropped it is checked first.
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .sqlx_logging(true)
        // Every statement is a debug event on target `sqlx::query`; the logging setup decides
        // whether db.log keeps them (`database.log_statements`) or only the slow ones.
        .sqlx_logging_level(log::LevelFilter::Debug)
        .sqlx_slow_statements_logging_settings(
            log::LevelFilter::Warn,
            Duration::from_millis(settings.slow_query_ms),
        );
    if matches!(pool, Pool::SqliteWriter | Pool::SqliteReader) {
        let busy_timeout = Duration::from_millis(settings.sqlite_busy_timeout_ms);
        let read_only = matches!(pool, Pool::SqliteReader);
        options.map_sqlx_sqlite_opts(move |sqlite| {
            sqlite
                .create_if_missing(!read_only)
                .read_only(read_only)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(busy_timeout)
        });
    }
    options
}

async fn connect_with_retry(
    settings: &DatabaseSettings,
    url: &Secret,
    pool: Pool,
) -> Result<DatabaseConnection, DbError> {
    let started = Instant::now();
    let window = Duration::from_secs(settings.connect_retry_secs);
    let mut delay = Duration::from_millis(200);
    loop {
        match sea_orm::Database::connect(options(settings, url, pool)).await {
            Ok(connection) => return Ok(connection),
            Err(error) if started.elapsed() + delay < window => {
                tracing::warn!(url = %masked_url(url), %error, retry_in_ms = delay.as_millis() as u64, "database not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RETRY_DELAY);
            }
            Err(source) => {
                return Err(DbError::Unreachable {
                    url: masked_url(url),
                    waited_secs: started.elapsed().as_secs(),
                    source,
                });
            }
        }
    }
}

/// The file a `sqlite:` URL names (`None` for another engine or an in-memory database).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let path = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// Connects like [`connect`], but to a database that already exists: a SQLite file that is
/// missing is [`DbError::NoDatabase`] instead of a new empty database (one-shot commands must
/// not create one where the operator mistyped a directory).
///
/// # Errors
/// As [`connect`], and [`DbError::NoDatabase`].
pub async fn connect_existing(settings: &DatabaseSettings) -> Result<Database, DbError> {
    if let Some(file) = sqlite_file(settings.url.expose())
        && !file.exists()
    {
        return Err(DbError::NoDatabase { path: file.display().to_string() });
    }
    connect(settings).await
}

/// `sqlite://data/baseops.db` needs `data/` to exist before SQLite can create the file.
fn create_sqlite_directory(url: &str) -> Result<(), DbError> {
    let Some(file) = sqlite_file(url) else { return Ok(()) };
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent)
            .map_err(|source| DbError::SqliteDirectory { path: parent.display().to_string(), source }),
        _ => Ok(()),
    }
}
