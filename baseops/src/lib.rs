//! The composition root: the list of apps that make up this build of baseops.
//!
//! An integrator adds an app by writing its crate and adding it to [`apps`]. The order is
//! the order migrations run in: an app comes after the apps its tables refer to.

use std::sync::Arc;

use baseops_config::Settings;
use baseops_core::{App, AppState};
use baseops_db::{Database, DbError, Migrator};
use baseops_users::session_store::StoreError;

/// Every app of this build, in dependency order.
pub fn apps() -> Vec<App> {
    vec![baseops_jobs::app(), baseops_audit::app(), baseops_users::app(), baseops_roles::app()]
}

/// Every job type of this build, so a worker can run what any app enqueues.
pub fn job_registry() -> baseops_jobs::Registry {
    baseops_jobs::Registry::new()
        .register::<baseops_jobs::maintenance::PurgeFinished>()
        .register::<baseops_jobs::events::Dispatch>()
        .register::<baseops_email::SendEmail>()
}

/// Every recurring job of this build.
pub fn schedules() -> Vec<baseops_jobs::Recurring> {
    vec![baseops_jobs::maintenance::PURGE_DAILY]
}

/// The migrations of every app, in the order of [`apps`].
///
/// # Errors
/// [`DbError::DuplicateMigration`] if two apps declare a migration with the same name.
pub fn migrator() -> Result<Migrator, DbError> {
    Migrator::new(apps().iter().map(|app| app.migrations).collect())
}

/// The application state: settings, pools, the identity apps' authenticator, every app's
/// permissions and the apps' shared services (the session store, the mailer whose SMTP
/// connection pool every e-mail job shares).
///
/// # Errors
/// A service that cannot be set up from the settings (a Redis URL that does not parse).
pub fn state(settings: Settings, db: Database, migrator: Migrator) -> Result<AppState, StoreError> {
    let sessions = baseops_users::session_store::SessionStore::from_settings(&settings)?;
    let mailer = baseops_email::Mailer::from_settings(&settings.email);
    Ok(AppState::new(settings, db, migrator)
        .with_auth(Arc::new(baseops_users::UsersAuthenticator), App::permissions_of(&apps()))
        .with_extension(sessions)
        .with_extension(mailer)
        .with_extension(event_bus()))
}

/// Who listens to which domain event. Notifications, webhooks and analytics subscribe here
/// as they arrive; events without a handler are recorded and dispatched to nobody.
pub fn event_bus() -> baseops_jobs::EventBus {
    baseops_jobs::EventBus::new()
}
