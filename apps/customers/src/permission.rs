//! The customers app's permissions.

use baseops_core::{DefaultGrant, PermissionDef, Scope};

/// See the organization's customers.
pub const CUSTOMERS_VIEW: &str = "customers.view";

/// Add customers.
pub const CUSTOMERS_CREATE: &str = "customers.create";

/// Change customers and their billing profile.
pub const CUSTOMERS_EDIT: &str = "customers.edit";

/// Everything the customers app declares.
pub const PERMISSIONS: &[PermissionDef] = &[
    PermissionDef::global(CUSTOMERS_VIEW, "See the organization's customers"),
    PermissionDef::global(CUSTOMERS_CREATE, "Add customers"),
    PermissionDef::global(CUSTOMERS_EDIT, "Change customers and their billing profile"),
];

/// What the default roles get beyond their own rules.
pub const DEFAULT_GRANTS: &[DefaultGrant] = &[
    DefaultGrant::new("manager", "customers.*", Scope::All),
    DefaultGrant::new("accountant", "customers.*", Scope::All),
    DefaultGrant::new("sales", CUSTOMERS_VIEW, Scope::All),
    DefaultGrant::new("support", CUSTOMERS_VIEW, Scope::All),
];
