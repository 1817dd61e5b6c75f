//! The composition root: the list of apps that make up this build of baseops.
//!
//! An integrator adds an app by writing its crate and adding it to [`apps`]. The order is
//! the order migrations run in: an app comes after the apps its tables refer to.

use baseops_core::App;
use baseops_db::{DbError, Migrator};

/// Every app of this build, in dependency order.
pub fn apps() -> Vec<App> {
    Vec::new()
}

/// The migrations of every app, in the order of [`apps`].
///
/// # Errors
/// [`DbError::DuplicateMigration`] if two apps declare a migration with the same name.
pub fn migrator() -> Result<Migrator, DbError> {
    Migrator::new(apps().iter().map(|app| app.migrations).collect())
}
