//! The billing app's permissions. Billing is the organization's money: every permission is
//! organization-wide (no "own" invoices), and accountants hold them all by default.

use baseops_core::{DefaultGrant, PermissionDef, Scope};

/// See invoices, tax rates, the ledger and the billing settings.
pub const BILLING_VIEW: &str = "billing.view";
/// Create draft invoices.
pub const BILLING_CREATE: &str = "billing.create";
/// Edit and delete drafts.
pub const BILLING_EDIT: &str = "billing.edit";
/// Finalize invoices (give them their number and make them due).
pub const BILLING_ISSUE: &str = "billing.issue";
/// Void invoices or mark them uncollectible.
pub const BILLING_VOID: &str = "billing.void";
/// Refund payments.
pub const BILLING_REFUND: &str = "billing.refund";
/// Change tax rates, numbering, rounding and terms.
pub const BILLING_SETTINGS: &str = "billing.settings";

/// Everything the billing app declares.
pub const PERMISSIONS: &[PermissionDef] = &[
    PermissionDef::global(BILLING_VIEW, "See invoices, tax rates, the ledger and billing settings"),
    PermissionDef::global(BILLING_CREATE, "Create draft invoices"),
    PermissionDef::global(BILLING_EDIT, "Edit and delete draft invoices"),
    PermissionDef::global(BILLING_ISSUE, "Finalize invoices: number them and make them due"),
    PermissionDef::global(BILLING_VOID, "Void invoices or mark them uncollectible"),
    PermissionDef::global(BILLING_REFUND, "Refund payments"),
    PermissionDef::global(BILLING_SETTINGS, "Change tax rates, numbering, rounding and payment terms"),
];

/// What the default roles get beyond their own rules: accountants all of billing, managers
/// all but the settings, sales and support may read.
pub const DEFAULT_GRANTS: &[DefaultGrant] = &[
    DefaultGrant::new("accountant", "billing.*", Scope::All),
    DefaultGrant::new("manager", BILLING_VIEW, Scope::All),
    DefaultGrant::new("manager", BILLING_CREATE, Scope::All),
    DefaultGrant::new("manager", BILLING_EDIT, Scope::All),
    DefaultGrant::new("manager", BILLING_ISSUE, Scope::All),
    DefaultGrant::new("manager", BILLING_VOID, Scope::All),
    DefaultGrant::new("sales", BILLING_VIEW, Scope::All),
    DefaultGrant::new("support", BILLING_VIEW, Scope::All),
];
