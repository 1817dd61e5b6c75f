//! The test kit: [`TestApp`] is the composed build (the same list of apps as `baseops serve`)
//! on a fresh database with migrations applied, driven in-process through the real router.
//! A test reads like the user's story:
//!
//! ```no_run
//! # async fn example() {
//! use baseops_test_support::TestApp;
//! let app = TestApp::new().await;
//! let sales = app.as_role("sales").await;
//! let created = sales.post(&app, "/api/v1/leads", serde_json::json!({"last_name": "Lovelace"})).await;
//! assert_eq!(created.status, 201);
//! app.run_jobs().await;
//! assert_eq!(app.audit(Some(sales.organization_id), "lead.create").await.len(), 1);
//! # }
//! ```
//!
//! Tests run on SQLite (a new file in a temporary directory) unless
//! `BASEOPS_TEST_DATABASE_URL` points to a PostgreSQL server: then each test creates its own
//! uniquely named database there and drops it afterwards. Each app also gets its own
//! directories for sent e-mail and stored files. Tests can run in parallel.

mod client;
pub mod customers;
mod database;
pub mod fixture;
mod form;
mod people;
mod raw_http;
mod response;
pub mod services;
mod team;
mod work;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use baseops_app::{App, Apps};
use baseops_config::{Settings, Sources};
use baseops_core::AppState;
use http::{Request, header};
use tokio::sync::OnceCell;
use tower::ServiceExt;

pub use client::Client;
pub use database::{TEST_DATABASE_VAR, TestDatabase};
pub use form::FormFields;
pub use people::{Org, PASSWORD};
pub use raw_http::raw_request;
pub use response::{TestResponse, csrf_token_in};
pub use team::{DEFAULT_ROLES, Team};
pub use work::{RunningWorker, link_token, run_worker_until};

/// A running baseops (router, state, database) for one test.
pub struct TestApp {
    router: Router,
    state: AppState,
    apps: Apps,
    database: TestDatabase,
    files: tempfile::TempDir,
    default_org: OnceCell<Org>,
    /// Stops the background tasks of `serve` this app runs (listeners), when it is dropped.
    stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Configures a [`TestApp`] before it starts.
#[derive(Default)]
pub struct TestAppBuilder {
    apps: Option<Vec<App>>,
    vars: Vec<(String, String)>,
    skip_migrations: bool,
}

impl TestAppBuilder {
    /// Composes these apps instead of the build's (a platform test with a fixture app).
    pub fn apps(mut self, apps: Vec<App>) -> Self {
        self.apps = Some(apps);
        self
    }

    /// Sets a setting as an environment variable would (`BASEOPS_SERVER__BODY_LIMIT_BYTES`).
    pub fn setting(mut self, variable: &str, value: &str) -> Self {
        self.vars.push((variable.to_owned(), value.to_owned()));
        self
    }

    /// Sets several settings.
    pub fn settings(mut self, settings: &[(&str, &str)]) -> Self {
        for (variable, value) in settings {
            self = self.setting(variable, value);
        }
        self
    }

    /// Leaves the schema without migrations, as a new release on an old database.
    pub fn without_migrations(mut self) -> Self {
        self.skip_migrations = true;
        self
    }

    /// Creates the database, applies migrations, and builds the state and the router as
    /// `baseops serve` does.
    ///
    /// # Panics
    /// When the apps do not compose, or the database cannot be created or migrated: the test
    /// cannot run then.
    pub async fn build(self) -> TestApp {
        let apps = match self.apps {
            Some(list) => Apps::compose(list),
            None => baseops::compose(),
        }
        .unwrap_or_else(|error| panic!("{error}"));
        let database = TestDatabase::create().await;
        let files = tempfile::tempdir().expect("a temporary directory");
        let path = |name: &str| files.path().join(name).to_str().expect("a UTF-8 temporary path").to_owned();
        let mut vars = vec![
            ("BASEOPS_ENV".to_owned(), "test".to_owned()),
            ("BASEOPS_DATABASE__URL".to_owned(), database.url().to_owned()),
            ("BASEOPS_EMAIL__FILE_DIR".to_owned(), path("outbox")),
            ("BASEOPS_STORAGE__LOCAL_DIR".to_owned(), path("media")),
        ];
        vars.extend(self.vars);
        let settings =
            baseops_config::load(&Sources { config_dir: repo_config_dir(), dotenv_file: None, vars })
                .expect("test settings load");
        let migrator = apps.migrator().expect("unique migrations");
        if !self.skip_migrations {
            migrator.apply(&settings.database).await.expect("migrations apply");
        }
        let db = baseops_db::connect(&settings.database).await.expect("test database connects");
        let state =
            apps.state(settings, db, migrator).unwrap_or_else(|error| panic!("the services: {error}"));
        let router = baseops_server::build_router(state.clone(), &apps);
        // As in `serve`: the listeners that carry live notifications and access changes
        // between processes. Work that also runs in the worker (the audit sealer) runs when a
        // test asks for it, so tests stay deterministic.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        for task in apps.background(true, false) {
            if task.runs_in == baseops_app::RunsIn::Server {
                tokio::spawn((task.run)(state.clone(), stopped.clone()));
            }
        }
        TestApp { router, state, apps, database, files, default_org: OnceCell::new(), stop }
    }
}

/// The repository's `config/` directory, so tests load the real `test.toml`.
fn repo_config_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

impl TestApp {
    /// The build's apps on a fresh database.
    pub async fn new() -> Self {
        Self::builder().build().await
    }

    /// The build's apps on a fresh database, with these settings (as environment variables).
    pub async fn with_settings(settings: &[(&str, &str)]) -> Self {
        Self::builder().settings(settings).build().await
    }

    /// A builder for apps and settings.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// The state handlers see.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The settings in effect.
    pub fn settings(&self) -> &Settings {
        self.state.settings()
    }

    /// The router, to serve on a real socket.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The apps this test composed.
    pub fn apps(&self) -> &Apps {
        &self.apps
    }

    /// The test database.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// This app's own directory for files (`outbox/` holds sent e-mail, `media/` stored files).
    pub fn files_dir(&self) -> &std::path::Path {
        self.files.path()
    }

    /// Sends a request through the whole middleware stack.
    /// Requests come from 127.0.0.1 unless they carry their own `ConnectInfo`.
    pub async fn send(&self, mut request: Request<Body>) -> TestResponse {
        if request.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        }
        let response = self.router.clone().oneshot(request).await.expect("the router is infallible");
        TestResponse::read(response).await
    }

    /// `GET path`, anonymously.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Request::get(path).body(Body::empty()).expect("valid request")).await
    }

    /// `POST path` with a JSON body, anonymously.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> TestResponse {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("valid request");
        self.send(request).await
    }

    /// Makes the database unreachable for this app: closes its pools, and on PostgreSQL
    /// drops the database under them.
    pub async fn lose_database(&self) {
        self.state.db().close().await;
        self.database.drop_now().await;
    }
}
