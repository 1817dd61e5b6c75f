//! The state every handler reaches through axum's `State` extractor.

use std::sync::Arc;

use baseops_config::Settings;
use baseops_db::{Database, Migrator};

use crate::{Authenticator, PermissionRegistry};

/// Settings, database pools, the permission registry, the authenticator and the apps'
/// services, cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    db: Database,
    migrator: Migrator,
    authenticator: Option<Arc<dyn Authenticator>>,
    permissions: PermissionRegistry,
    extensions: http::Extensions,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("env", &self.inner.settings.env)
            .field("db", &self.inner.db)
            .field("authenticator", &self.inner.authenticator.is_some())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state once at start-up, without an authenticator (every authenticated
    /// endpoint answers 401 until an app installs one).
    pub fn new(
        settings: Settings,
        db: Database,
        migrator: Migrator,
        permissions: PermissionRegistry,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                db,
                migrator,
                authenticator: None,
                permissions,
                extensions: http::Extensions::new(),
            }),
        }
    }

    /// Installs the authenticator (the identity app does, when it is composed).
    ///
    /// # Panics
    /// When called on a state that was already cloned (it is meant for start-up).
    pub fn with_authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        let inner =
            Arc::get_mut(&mut self.inner).expect("with_authenticator is called before the state is shared");
        inner.authenticator = Some(authenticator);
        self
    }

    /// Adds a shared service an app reaches by type (a session store, an e-mail sender), so
    /// the platform need not know every app's services.
    ///
    /// # Panics
    /// When called on a state that was already cloned (it is meant for start-up).
    pub fn with_extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        let inner =
            Arc::get_mut(&mut self.inner).expect("with_extension is called before the state is shared");
        inner.extensions.insert(value);
        self
    }

    /// A service added with [`AppState::with_extension`].
    pub fn extension<T: Clone + Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.extensions.get::<T>()
    }

    /// The installed authenticator, if any.
    pub fn authenticator(&self) -> Option<&Arc<dyn Authenticator>> {
        self.inner.authenticator.as_ref()
    }

    /// Every permission the apps of this build declare, the default roles and their grants.
    pub fn permissions(&self) -> &PermissionRegistry {
        &self.inner.permissions
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
