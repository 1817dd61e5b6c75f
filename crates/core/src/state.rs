//! The state every handler reaches through axum's `State` extractor.

use std::sync::Arc;

use baseops_config::Settings;
use baseops_db::{Database, Migrator};

/// Settings and database pools, cheap to clone (one `Arc`).
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    db: Database,
    migrator: Migrator,
}

impl AppState {
    /// Builds the state once at start-up.
    pub fn new(settings: Settings, db: Database, migrator: Migrator) -> Self {
        Self { inner: Arc::new(Inner { settings, db, migrator }) }
    }

    /// The effective settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The database pools: `db().write()` for services, `db().read()` for selectors.
    pub fn db(&self) -> &Database {
        &self.inner.db
    }

    /// Every app's migrations, for readiness and `migrate`.
    pub fn migrator(&self) -> &Migrator {
        &self.inner.migrator
    }
}
