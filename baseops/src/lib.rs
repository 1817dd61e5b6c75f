//! The composition root: the list of apps that make up this build of baseops.
//!
//! An integrator adds an app by writing its crate, adding it to the workspace, and adding
//! one line to [`APPS`]. Order does not matter: [`compose`] puts the apps in the order their
//! declared dependencies ask for (migrations run in that order) and refuses a list with a
//! missing dependency, a cycle, or a registration that would fail silently later. The
//! server, the worker, every command and every test use this one list.

use baseops_app::{App, Apps, CompositionError};

pub mod backup;
pub mod db;
pub mod healthcheck;

/// Every app of this build.
pub const APPS: &[fn() -> App] = &[
    baseops_jobs_app::app,
    baseops_audit::app,
    baseops_idempotency::app,
    baseops_email::app,
    baseops_storage::app,
    baseops_users::app,
    baseops_roles::app,
    baseops_notifications::app,
    baseops_customers::app,
    baseops_billing::app,
    baseops_leads::app,
    baseops_tasks::app,
    baseops_analytics::app,
    backup::job::app,
];

/// The apps of this build, checked and in dependency order.
///
/// # Errors
/// What is wrong with the list (see [`Apps::compose`]).
pub fn compose() -> Result<Apps, CompositionError> {
    Apps::compose(APPS.iter().map(|app| app()).collect())
}

#[cfg(test)]
mod tests;
