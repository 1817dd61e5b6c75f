//! The leads app's permissions and what a grant's scope means here: `own` reaches the leads
//! the user owns, `all` every lead of the organization.

use baseops_core::{ApiError, PermissionDef, RequestContext, Scope};
use uuid::Uuid;

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

/// What one permission lets the caller reach: an organization, and all of its leads or
/// only those the user owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The active organization.
    pub organization_id: Uuid,
    /// The acting user (`None` for system work, which always has scope `all`).
    pub user_id: Option<Uuid>,
    /// How far the grant reaches.
    pub scope: Scope,
    /// How far the caller sees leads (`leads.view`): decides between 403 and 404 for a
    /// lead out of reach.
    pub sees: Option<Scope>,
}

impl Access {
    /// The caller's access under `permission`, or 403 / 400 `organization_required`.
    ///
    /// # Errors
    /// 403 without the permission; 400 without an active organization.
    pub fn of(ctx: &RequestContext, permission: &str) -> Result<Self, ApiError> {
        let scope = ctx.require(permission)?;
        Ok(Self {
            organization_id: ctx.organization_id()?,
            user_id: Some(ctx.user_id()),
            scope,
            sees: ctx.principal.scope(LEADS_VIEW),
        })
    }

    /// Work done by the system itself (an import job, a command) for a user or nobody.
    pub fn system(organization_id: Uuid, user_id: Option<Uuid>) -> Self {
        Self { organization_id, user_id, scope: Scope::All, sees: Some(Scope::All) }
    }

    /// The owner a query must be limited to, when the scope is `own`.
    pub fn only_owner(&self) -> Option<Uuid> {
        match self.scope {
            Scope::All => None,
            // Nobody owns what a user-less caller could see with `own`.
            Scope::Own => Some(self.user_id.unwrap_or(Uuid::nil())),
        }
    }

    /// Whether a lead owned by `owner` is within reach.
    pub fn reaches(&self, owner: Option<Uuid>) -> bool {
        self.scope == Scope::All || (owner.is_some() && owner == self.user_id)
    }

    /// The answer for a lead out of reach: 403 when the caller can see it, else 404 (a lead
    /// one can't see does not exist for them).
    pub fn refusal(&self, owner: Option<Uuid>) -> ApiError {
        let visible = match self.sees {
            Some(Scope::All) => true,
            Some(Scope::Own) => owner.is_some() && owner == self.user_id,
            None => false,
        };
        if visible { ApiError::Forbidden } else { ApiError::NotFound }
    }
}
