//! The composition root: the list of apps that make up this build of baseops.
//!
//! An integrator adds an app by writing its crate and adding it to [`apps`]. The order is
//! the order migrations run in: an app comes after the apps its tables refer to.

use std::sync::Arc;

use baseops_config::Settings;
use baseops_core::{App, AppState};
use baseops_db::{Database, DbError, Migrator};

/// Every app of this build, in dependency order.
pub fn apps() -> Vec<App> {
    vec![baseops_audit::app(), baseops_users::app(), baseops_roles::app()]
}

/// The migrations of every app, in the order of [`apps`].
///
/// # Errors
/// [`DbError::DuplicateMigration`] if two apps declare a migration with the same name.
pub fn migrator() -> Result<Migrator, DbError> {
    Migrator::new(apps().iter().map(|app| app.migrations).collect())
}

/// The application state: settings, pools, the identity apps' authenticator and every
/// app's permissions.
pub fn state(settings: Settings, db: Database, migrator: Migrator) -> AppState {
    AppState::new(settings, db, migrator)
        .with_auth(Arc::new(baseops_users::UsersAuthenticator), App::permissions_of(&apps()))
}
