//! The roles app's own permissions.

use baseops_core::{DefaultGrant, PermissionDef};

/// See the organization's roles and their grants.
pub const ROLES_VIEW: &str = "roles.view";
/// Create, edit and delete roles; give members roles.
pub const ROLES_MANAGE: &str = "roles.manage";

/// Everything the roles app declares.
pub const PERMISSIONS: &[PermissionDef] = &[
    PermissionDef::global(ROLES_VIEW, "See the organization's roles and what they grant"),
    PermissionDef::global(ROLES_MANAGE, "Create, edit and delete roles, and give members roles"),
];

/// Only the owner and admin roles (which get everything) and roles that see everything
/// (`*.view`) reach these.
pub const DEFAULT_GRANTS: &[DefaultGrant] = &[];
