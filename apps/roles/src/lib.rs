//! Role-based access control: the permissions every app declares, roles per organization
//! made of (permission, scope) grants, the default roles seeded into each new organization,
//! and the effective permissions of a member.
//!
//! Apps do not call this crate to check access: the request context carries the effective
//! permissions ([`baseops_core::RequestContext::require`]); this crate computes them.

pub mod defaults;
mod migration;
mod model;
pub mod permission;
pub mod selector;
pub mod service;

use baseops_core::App;

pub use defaults::{DEFAULT_ROLES, DefaultRole, OWNER};
pub use selector::{grants_for, role_by_key};
pub use service::{give_role, seed_defaults};

/// The roles app. Its migrations must run after the users app's.
pub fn app() -> App {
    App::new("roles").with_migrations(migration::migrations).with_permissions(permission::PERMISSIONS)
}
