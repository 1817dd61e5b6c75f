//! Role-based access control: the permissions every app declares, roles per organization
//! made of (permission, scope) grants, the default roles seeded into each new organization,
//! and the effective permissions of a member.
//!
//! Apps do not call this crate to check access: the request context carries the effective
//! permissions ([`baseops_core::RequestContext::require`]); this crate computes them.

mod api;
pub mod defaults;
pub mod event;
mod migration;
mod model;
pub mod permission;
pub mod selector;
pub mod service;

use baseops_core::App;

pub use defaults::{DEFAULT_ROLES, DefaultRole, OWNER};
pub use selector::{RoleOut, grants_for, member_roles, role_by_key, roles_of};
pub use service::{ensure_not_last_owner, give_role, seed_defaults, set_member_roles};

/// The roles app. Its migrations must run after the users app's.
pub fn app() -> App {
    App::new("roles")
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS)
}
