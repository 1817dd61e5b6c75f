//! One database per test: a SQLite file in a temporary directory, or a PostgreSQL database
//! created on the server `BASEOPS_TEST_DATABASE_URL` points to and dropped afterwards.

use std::sync::atomic::{AtomicBool, Ordering};

use baseops_db::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// Points the tests at a PostgreSQL server (any database on it, e.g. `…/postgres`).
pub const TEST_DATABASE_VAR: &str = "BASEOPS_TEST_DATABASE_URL";

/// A database that exists for one test.
pub struct TestDatabase {
    url: String,
    kind: Kind,
    dropped: AtomicBool,
}

enum Kind {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// Creates the database.
    ///
    /// # Panics
    /// When the PostgreSQL server is unreachable or refuses to create the database.
    pub async fn create() -> Self {
        match std::env::var(TEST_DATABASE_VAR) {
            Ok(admin_url) if !admin_url.is_empty() => Self::create_postgres(admin_url).await,
            _ => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("baseops.db").display());
                Self { url, kind: Kind::Sqlite { _dir: dir }, dropped: AtomicBool::new(false) }
            }
        }
    }

    async fn create_postgres(admin_url: String) -> Self {
        let name = format!("baseops_test_{}", uuid::Uuid::now_v7().simple());
        let admin = admin_connection(&admin_url).await;
        execute(&admin, &format!("CREATE DATABASE \"{name}\"")).await;
        let _ = admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("BASEOPS_TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Self {
            url: url.to_string(),
            kind: Kind::Postgres { admin_url, name },
            dropped: AtomicBool::new(false),
        }
    }

    /// The URL the app under test connects to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this test runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.kind, Kind::Postgres { .. })
    }

    /// Drops a PostgreSQL database now, ending its connections (SQLite: nothing to do).
    pub async fn drop_now(&self) {
        if let Kind::Postgres { admin_url, name } = &self.kind
            && !self.dropped.swap(true, Ordering::SeqCst)
        {
            drop_postgres(admin_url, name).await;
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Kind::Postgres { admin_url, name } = &self.kind else { return };
        if self.dropped.swap(true, Ordering::SeqCst) {
            return;
        }
        // Drop runs inside the test's runtime, which can't be blocked on; a thread with its
        // own small runtime does the async cleanup.
        let (admin_url, name) = (admin_url.clone(), name.clone());
        let cleanup = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(drop_postgres(&admin_url, &name));
        });
        let _ = cleanup.join();
    }
}

async fn admin_connection(admin_url: &str) -> DatabaseConnection {
    let mut options = baseops_db::sea_orm::ConnectOptions::new(admin_url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    Database::connect(options)
        .await
        .unwrap_or_else(|error| panic!("{TEST_DATABASE_VAR} unreachable: {error}"))
}

async fn execute(connection: &DatabaseConnection, sql: &str) {
    connection
        .execute_raw(Statement::from_string(connection.get_database_backend(), sql.to_owned()))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

async fn drop_postgres(admin_url: &str, name: &str) {
    let admin = admin_connection(admin_url).await;
    execute(&admin, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
    let _ = admin.close().await;
}
