//! Who calls the tasks app's services and selectors, and what they may reach.

use std::sync::Arc;

use baseops_core::{Access, Acting, ApiError, AppState, Directory, RequestContext, Scope};
use uuid::Uuid;

use crate::permission::TASKS_VIEW;

/// Who acts, and their reach under `tasks.view`: every service and selector of this app takes
/// one, so none can forget the tenant or the `own` scope. A task is the caller's *own* when
/// they created it or are one of its assignees.
#[derive(Clone)]
pub struct Caller<'a> {
    /// Who acts, for audit records and events.
    pub acting: Acting<'a>,
    /// How far `tasks.view` reaches: the organization, own tasks or all.
    pub view: Access,
    /// Who the organization's members are.
    pub directory: Arc<dyn Directory>,
}

impl std::fmt::Debug for Caller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("acting", &self.acting)
            .field("view", &self.view)
            .finish_non_exhaustive()
    }
}

impl<'a> Caller<'a> {
    /// The caller of an API request; 403 without `tasks.view`, 400 without an organization.
    ///
    /// # Errors
    /// As [`RequestContext::require`].
    pub fn of(ctx: &'a RequestContext, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self {
            acting: ctx.acting(),
            view: Access::require(ctx, TASKS_VIEW, TASKS_VIEW)?,
            directory: baseops_core::directory(state),
        })
    }

    /// The active organization.
    pub fn organization_id(&self) -> Uuid {
        self.view.organization_id
    }

    /// The acting user (nil for system work, which reaches every task).
    pub fn user_id(&self) -> Uuid {
        self.view.user_id.unwrap_or_default()
    }

    /// Whether a task created by `created_by` and assigned to `assignees` is the caller's own.
    pub fn owns(&self, created_by: Uuid, assignees: &[Uuid]) -> bool {
        self.view.owns(std::iter::once(created_by).chain(assignees.iter().copied()))
    }

    /// The caller's reach under another tasks permission held with `scope`.
    pub fn under(&self, scope: Scope) -> Access {
        Access { scope, ..self.view }
    }
}
