//! The leads app's permissions and what a grant's scope means here: `own` reaches the leads
//! the user owns (their `owner_id`), `all` every lead of the organization.

pub use baseops_core::Access;
use baseops_core::{ApiError, DefaultGrant, PermissionDef, RequestContext, Scope};

/// See leads, their activities, the board and pipelines.
pub const LEADS_VIEW: &str = "leads.view";
/// Create leads (own: only leads the creator owns).
pub const LEADS_CREATE: &str = "leads.create";
/// Edit leads, log activities, move them between stages; with `all`, edit pipelines.
pub const LEADS_EDIT: &str = "leads.edit";
/// Give leads another owner; with `all`, edit assignment rules.
pub const LEADS_ASSIGN: &str = "leads.assign";
/// Delete leads and merge duplicates away.
pub const LEADS_DELETE: &str = "leads.delete";
/// Import leads from CSV files.
pub const LEADS_IMPORT: &str = "leads.import";
/// Export leads as CSV.
pub const LEADS_EXPORT: &str = "leads.export";
/// Convert won leads into customers.
pub const LEADS_CONVERT: &str = "leads.convert";
/// Move a won or lost lead back into an open stage.
pub const LEADS_REOPEN: &str = "leads.reopen";

/// Everything the leads app declares.
pub const PERMISSIONS: &[PermissionDef] = &[
    PermissionDef::scoped(LEADS_VIEW, "See leads, their timeline, the pipeline board"),
    PermissionDef::scoped(LEADS_CREATE, "Create leads (own: owned by the creator)"),
    PermissionDef::scoped(
        LEADS_EDIT,
        "Edit leads, log activities, move leads between stages; all: edit pipelines",
    ),
    PermissionDef::scoped(LEADS_ASSIGN, "Give leads another owner; all: edit assignment rules"),
    PermissionDef::scoped(LEADS_DELETE, "Delete leads and merge duplicates"),
    PermissionDef::global(LEADS_IMPORT, "Import leads from CSV files"),
    PermissionDef::scoped(LEADS_EXPORT, "Export leads as CSV"),
    PermissionDef::scoped(LEADS_CONVERT, "Convert won leads into customers"),
    PermissionDef::scoped(LEADS_REOPEN, "Reopen won or lost leads"),
];

/// What the default roles get beyond their own rules: managers everything, sales their own
/// leads, marketing and support read (and marketing exports) all of them.
pub const DEFAULT_GRANTS: &[DefaultGrant] = &[
    DefaultGrant::new("manager", "leads.*", Scope::All),
    DefaultGrant::new("sales", LEADS_VIEW, Scope::Own),
    DefaultGrant::new("sales", LEADS_CREATE, Scope::Own),
    DefaultGrant::new("sales", LEADS_EDIT, Scope::Own),
    DefaultGrant::new("sales", LEADS_CONVERT, Scope::Own),
    DefaultGrant::new("sales", LEADS_EXPORT, Scope::Own),
    DefaultGrant::new("marketer", LEADS_VIEW, Scope::All),
    DefaultGrant::new("marketer", LEADS_EXPORT, Scope::All),
    DefaultGrant::new("support", LEADS_VIEW, Scope::All),
];

/// The caller's reach under a leads permission: the organization, and all of its leads or
/// those the user owns; a lead out of reach is 403 when the caller sees it, else 404.
///
/// # Errors
/// 403 without the permission; 400 without an active organization.
pub fn access_of(ctx: &RequestContext, permission: &str) -> Result<Access, ApiError> {
    Access::require(ctx, permission, LEADS_VIEW)
}
