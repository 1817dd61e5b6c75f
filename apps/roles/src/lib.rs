//! Role-based access control: the permissions every app declares, roles per organization
//! made of (permission, scope) grants, the default roles seeded into each new organization,
//! and the effective permissions of a member.
//!
//! Apps do not call this crate to check access: the request context carries the effective
//! permissions ([`baseops_core::RequestContext::require`]); this crate computes them.

mod api;
mod cli;
pub mod console;
pub mod defaults;
pub mod epoch;
pub mod event;
mod migration;
mod model;
pub mod permission;
pub mod selector;
pub mod service;

use baseops_app::App;

pub use defaults::{DEFAULT_ROLES, DefaultRole, OWNER};
pub use selector::{RoleOut, grants_of_membership, member_role_list, role_get_by_key, role_list};
pub use service::{Granter, member_role_give, member_roles_set, owner_ensure_not_last, role_seed_defaults};

/// The roles app: roles and grants per organization (its tables refer to the users app's
/// memberships), the default roles, the permission registry's API, and `baseops seed-roles`.
pub fn app() -> App {
    App::new("roles")
        .depends_on(&["users", "audit", "jobs"])
        .with_api(api::routes)
        .with_console(console::SECTION)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS, permission::DEFAULT_GRANTS)
        .with_default_roles(DEFAULT_ROLES)
        .with_events(event::EMITTED, std::convert::identity)
        .with_commands(cli::commands)
}
