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
    vec![
        baseops_jobs::app(),
        baseops_audit::app(),
        baseops_idempotency::app(),
        baseops_users::app(),
        baseops_roles::app(),
        baseops_notifications::app(),
        baseops_customers::app(),
        baseops_leads::app(),
        baseops_tasks::app(),
    ]
}

/// Every job type of this build, so a worker can run what any app enqueues.
pub fn job_registry() -> baseops_jobs::Registry {
    baseops_jobs::Registry::new()
        .register::<baseops_jobs::maintenance::PurgeFinished>()
        .register::<baseops_jobs::events::Dispatch>()
        .register::<baseops_email::SendEmail>()
        .register::<baseops_idempotency::PurgeIdempotencyKeys>()
        .register::<baseops_notifications::SendDigests>()
        .register::<baseops_leads::ValidateImport>()
        .register::<baseops_leads::CommitImport>()
        .register::<baseops_tasks::job::SendReminder>()
        .register::<baseops_tasks::job::CreateNextOccurrence>()
        .register::<baseops_tasks::job::RecurrenceTick>()
        .register::<baseops_tasks::job::OverdueDigest>()
}

/// Every recurring job of this build.
pub fn schedules() -> Vec<baseops_jobs::Recurring> {
    vec![
        baseops_jobs::maintenance::PURGE_DAILY,
        baseops_notifications::DIGEST_DAILY,
        baseops_idempotency::PURGE_DAILY,
        baseops_tasks::job::RECURRENCE_HOURLY,
        baseops_tasks::job::OVERDUE_DIGEST_DAILY,
    ]
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
/// A service that cannot be set up from the settings (a Redis URL that does not parse, a
/// storage directory that cannot be created).
pub fn state(settings: Settings, db: Database, migrator: Migrator) -> anyhow::Result<AppState> {
    let sessions = baseops_users::session_store::SessionStore::from_settings(&settings)?;
    let mailer = baseops_email::Mailer::from_settings(&settings.email);
    let storage = baseops_storage::Storage::from_settings(&settings.storage)?;
    let hub = baseops_notifications::Hub::from_settings(&settings, db.write().clone())?;
    Ok(AppState::new(settings, db, migrator)
        .with_auth(Arc::new(baseops_users::UsersAuthenticator), App::permissions_of(&apps()))
        .with_extension(sessions)
        .with_extension(mailer)
        .with_extension(storage)
        .with_extension(hub)
        .with_extension(event_bus())
        .with_extension(links()))
}

/// Which apps' records others link to (a task about a lead), and which apps link to them.
pub fn links() -> baseops_core::Links {
    baseops_core::Links::default().with_target(baseops_leads::LeadLinks).with_source(baseops_tasks::TaskLinks)
}

/// Who listens to which domain event: each app subscribes its handlers (notifications now;
/// webhooks and analytics as they arrive). Events without a handler are recorded and
/// dispatched to nobody.
pub fn event_bus() -> baseops_jobs::EventBus {
    let bus = baseops_users::event::subscribe(baseops_jobs::EventBus::new());
    let bus = baseops_leads::subscribe(bus);
    baseops_tasks::subscribe(bus)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tasks_can_link_to_leads_and_nothing_else_is_claimed() {
        let links = super::links();
        assert_eq!(links.kinds().collect::<Vec<_>>(), ["lead"]);
    }
}
