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
pub mod event;
mod migration;
// Entity fields mirror the columns created in `migration.rs`; documenting each twice adds nothing.
#[allow(missing_docs)]
pub mod model;
pub mod password;
pub mod permission;
pub mod secret;
pub mod selector;
pub mod service;
pub mod session_store;
pub mod two_factor;
pub mod validate;

use baseops_core::App;

pub use authenticator::UsersAuthenticator;
pub use password::PasswordHashing;

/// The users app: its routes, permissions and migrations (which must run before the roles
/// app's).
pub fn app() -> App {
    App::new("users")
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS)
}
