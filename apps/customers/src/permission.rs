//! The customers app's permissions.

use baseops_core::PermissionDef;

/// See the organization's customers.
pub const CUSTOMERS_VIEW: &str = "customers.view";

/// Everything the customers app declares.
pub const PERMISSIONS: &[PermissionDef] =
    &[PermissionDef::global(CUSTOMERS_VIEW, "See the organization's customers")];
