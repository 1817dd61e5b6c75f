//! Test support: [`TestApp`] gives each test a fresh database with migrations applied and
//! the real router, driven in-process.
//!
//! Tests run on SQLite (a new file in a temporary directory) unless
//! `BASEOPS_TEST_DATABASE_URL` points to a PostgreSQL server: then each test creates its own
//! uniquely named database there and drops it afterwards. Tests can run in parallel.
//!
//! ```no_run
//! # async fn example() {
//! use baseops_test_support::TestApp;
//! let app = TestApp::new().await;
//! let response = app.get("/healthz").await;
//! assert_eq!(response.status, 200);
//! # }
//! ```

mod database;
pub mod fixture;
mod raw_http;
mod response;

use axum::Router;
use axum::body::Body;
use baseops_config::{Settings, Sources};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use baseops_core::{App, AppState, Authenticator};
use baseops_db::Migrator;
use http::{Request, header};
use tower::ServiceExt;

pub use database::{TEST_DATABASE_VAR, TestDatabase};
pub use raw_http::raw_request;
pub use response::TestResponse;

/// A running baseops (router, state, database) for one test.
pub struct TestApp {
    router: Router,
    state: AppState,
    apps: Vec<App>,
    database: TestDatabase,
}

/// Configures a [`TestApp`] before it starts.
#[derive(Default)]
pub struct TestAppBuilder {
    apps: Vec<App>,
    vars: Vec<(String, String)>,
    skip_migrations: bool,
    authenticator: Option<Arc<dyn Authenticator>>,
    prepare: Option<fn(AppState) -> AppState>,
}

impl TestAppBuilder {
    /// The apps to compose, in order (the platform alone when none is given).
    pub fn apps(mut self, apps: Vec<App>) -> Self {
        self.apps = apps;
        self
    }

    /// Sets a setting as an environment variable would (`BASEOPS_SERVER__BODY_LIMIT_BYTES`).
    pub fn setting(mut self, variable: &str, value: &str) -> Self {
        self.vars.push((variable.to_owned(), value.to_owned()));
        self
    }

    /// Authenticates requests with `authenticator` (the identity apps' one, usually).
    pub fn authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// Finishes the state before the router is built, as the composition root does
    /// (installing apps' services with [`AppState::with_extension`]).
    pub fn prepare(mut self, prepare: fn(AppState) -> AppState) -> Self {
        self.prepare = Some(prepare);
        self
    }

    /// Leaves the schema without migrations, as a new release on an old database.
    pub fn without_migrations(mut self) -> Self {
        self.skip_migrations = true;
        self
    }

    /// Creates the database, applies migrations, and builds the router.
    ///
    /// # Panics
    /// When the database cannot be created or migrated: the test cannot run then.
    pub async fn build(self) -> TestApp {
        let database = TestDatabase::create().await;
        let mut vars = vec![
            ("BASEOPS_ENV".to_owned(), "test".to_owned()),
            ("BASEOPS_DATABASE__URL".to_owned(), database.url().to_owned()),
        ];
        vars.extend(self.vars);
        let settings =
            baseops_config::load(&Sources { config_dir: repo_config_dir(), dotenv_file: None, vars })
                .expect("test settings load");
        let migrator =
            Migrator::new(self.apps.iter().map(|app| app.migrations).collect()).expect("unique migrations");
        if !self.skip_migrations {
            migrator.apply(&settings.database).await.expect("migrations apply");
        }
        let db = baseops_db::connect(&settings.database).await.expect("test database connects");
        let mut state = AppState::new(settings, db, migrator);
        if let Some(authenticator) = self.authenticator {
            state = state.with_auth(authenticator, App::permissions_of(&self.apps));
        }
        if let Some(prepare) = self.prepare {
            state = prepare(state);
        }
        let router = baseops_server::build_router(state.clone(), &self.apps);
        TestApp { router, state, apps: self.apps, database }
    }
}

/// The repository's `config/` directory, so tests load the real `test.toml`.
fn repo_config_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

impl TestApp {
    /// The platform alone, on a fresh database.
    pub async fn new() -> Self {
        Self::builder().build().await
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
    pub fn apps(&self) -> &[App] {
        &self.apps
    }

    /// The test database.
    pub fn database(&self) -> &TestDatabase {
        &self.database
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

    /// `GET path`.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Request::get(path).body(Body::empty()).expect("valid request")).await
    }

    /// `POST path` with a JSON body.
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
