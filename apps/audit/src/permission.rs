//! The audit app's permission.

use baseops_core::{DefaultGrant, PermissionDef};

/// Read and export the organization's audit trail.
pub const AUDIT_VIEW: &str = "audit.view";

/// Everything the audit app declares.
pub const PERMISSIONS: &[PermissionDef] =
    &[PermissionDef::global(AUDIT_VIEW, "Read and export the organization's audit trail")];

/// Only roles that get everything, or every `*.view` (the manager), read the trail.
pub const DEFAULT_GRANTS: &[DefaultGrant] = &[];
