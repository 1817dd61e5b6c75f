//! Who calls the tasks app's services and selectors, and what they may reach.

use baseops_core::{Acting, ApiError, RequestContext, Scope};
use uuid::Uuid;

use crate::permission::TASKS_VIEW;

/// The organization, the user and how far they see: every service and selector of this app
/// takes one, so none can forget the tenant or the `own` scope.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// Who acts, for audit records and events.
    pub acting: Acting<'a>,
    /// The active organization.
    pub organization_id: Uuid,
    /// The acting user.
    pub user_id: Uuid,
    /// How far `tasks.view` reaches: own tasks (created or assigned) or all.
    pub view: Scope,
}

impl<'a> Caller<'a> {
    /// The caller of an API request; 403 without `tasks.view`, 400 without an organization.
    ///
    /// # Errors
    /// As [`RequestContext::require`].
    pub fn of(ctx: &'a RequestContext) -> Result<Self, ApiError> {
        let view = ctx.require(TASKS_VIEW)?;
        Ok(Self {
            acting: ctx.acting(),
            organization_id: ctx.organization_id()?,
            user_id: ctx.user_id(),
            view,
        })
    }

    /// Whether a task created by `created_by` and assigned to `assignees` is the caller's own.
    pub fn owns(&self, created_by: Uuid, assignees: &[Uuid]) -> bool {
        created_by == self.user_id || assignees.contains(&self.user_id)
    }
}
