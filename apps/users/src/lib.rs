//! Users, organizations and authentication: who someone is and which organization they act
//! in. Passwords are hashed with Argon2id; browser sessions are server-side rows whose cookie
//! holds a random token (the row keeps its SHA-256) with a CSRF token for unsafe requests;
//! API tokens are personal, limited to a subset of the owner's permissions in one
//! organization, and stored as SHA-256.
//!
//! The composition root installs [`UsersAuthenticator`] in the application state; from then
//! on every app's [`baseops_core::RequestContext`] is authenticated by it.

pub mod api;
pub mod authenticator;
mod cli;
pub mod console;
pub mod directory;
pub mod event;
pub mod job;
mod migration;
// Entity fields mirror the columns created in `migration.rs`; documenting each twice adds nothing.
#[allow(missing_docs)]
pub mod model;
pub mod password;
pub mod permission;
pub mod principal_cache;
pub mod secret;
pub mod secret_box;
pub mod selector;
pub mod service;
pub mod session_store;
pub mod two_factor;
pub mod validate;

use std::sync::Arc;

use baseops_app::{App, Background, RunsIn};

pub use authenticator::UsersAuthenticator;
pub use cli::first_start;
pub use directory::UsersDirectory;
pub use password::PasswordHashing;

/// The users app: its routes, permissions and migrations, the authenticator, the session
/// store and the directory it installs, its event handlers, and `baseops createsuperuser`.
///
/// It seeds and reads roles through the roles app, whose tables refer to its own: roles is
/// composed too, its migrations after these.
pub fn app() -> App {
    App::new("users")
        .depends_on(&["jobs", "audit", "email"])
        .uses(&["roles", "notifications"])
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS, permission::DEFAULT_GRANTS)
        .with_events(&[], event::subscribe)
        .with_jobs(|jobs| jobs.register::<job::PurgeThrottle>())
        .with_schedules(&[job::PURGE_THROTTLE_HOURLY])
        .with_console(console::SECTION)
        .with_services(|state| {
            let sessions = session_store::SessionStore::from_settings(state.settings())?;
            let directory: Arc<dyn baseops_core::Directory> = Arc::new(UsersDirectory);
            Ok(state
                .with_authenticator(Arc::new(UsersAuthenticator))
                .with_extension(sessions)
                .with_extension(directory)
                .with_extension(principal_cache::PrincipalCache::default()))
        })
        .with_background(&[Background {
            name: "users.access_changes",
            runs_in: RunsIn::Server,
            run: |state, stop| Box::pin(principal_cache::listen(state, stop)),
        }])
        .with_commands(cli::commands)
}
