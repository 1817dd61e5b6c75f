//! What one permission lets a caller reach: the organization, and all of its records or only
//! their own — and the one rule for a record out of reach: 403 when the caller may see it,
//! 404 when they may not (a record one can't see does not exist for them).
//!
//! Every app takes an [`Access`] in its services and selectors, so none can forget the
//! tenant or the `own` scope. What makes a record someone's *own* is the app's rule — a
//! lead's owner, a task's creator and assignees — passed as the record's owners.

use uuid::Uuid;

use crate::{ApiError, RequestContext, Scope};

/// A caller's reach under one permission, in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The active organization.
    pub organization_id: Uuid,
    /// The acting user (`None` for system work, which always has scope `all`).
    pub user_id: Option<Uuid>,
    /// How far the permission reaches.
    pub scope: Scope,
    /// How far the caller sees the records (the app's `*.view` permission): decides between
    /// 403 and 404 for a record out of reach.
    pub sees: Option<Scope>,
}

impl Access {
    /// The caller's reach under `permission`, seeing records as far as `view` allows.
    ///
    /// # Errors
    /// 403 without `permission`; 400 `organization_required` without an active organization.
    pub fn require(ctx: &RequestContext, permission: &str, view: &str) -> Result<Self, ApiError> {
        let scope = ctx.require(permission)?;
        Ok(Self {
            organization_id: ctx.organization_id()?,
            user_id: Some(ctx.user_id()),
            scope,
            sees: ctx.principal.scope(view),
        })
    }

    /// Work the system does itself (a job, a command) in an organization, for a user or
    /// nobody: it reaches and sees every record.
    pub fn system(organization_id: Uuid, user_id: Option<Uuid>) -> Self {
        Self { organization_id, user_id, scope: Scope::All, sees: Some(Scope::All) }
    }

    /// Whether the caller is among a record's `owners`.
    pub fn owns(&self, owners: impl IntoIterator<Item = Uuid>) -> bool {
        self.user_id.is_some_and(|me| owners.into_iter().any(|owner| owner == me))
    }

    /// Whether a record with these `owners` is within reach.
    pub fn reaches(&self, owners: impl IntoIterator<Item = Uuid>) -> bool {
        self.scope == Scope::All || self.owns(owners)
    }

    /// The answer for a record with these `owners` that is out of reach: 403 when the caller
    /// can see it, else 404.
    pub fn refusal(&self, owners: impl IntoIterator<Item = Uuid>) -> ApiError {
        let visible = match self.sees {
            Some(Scope::All) => true,
            Some(Scope::Own) => self.owns(owners),
            None => false,
        };
        if visible { ApiError::Forbidden } else { ApiError::NotFound }
    }

    /// `Ok` when a record with these `owners` is within reach, else [`Access::refusal`].
    ///
    /// # Errors
    /// 403 or 404, as [`Access::refusal`].
    pub fn check(&self, owners: impl IntoIterator<Item = Uuid> + Clone) -> Result<(), ApiError> {
        if self.reaches(owners.clone()) { Ok(()) } else { Err(self.refusal(owners)) }
    }

    /// The user a query must be limited to, when the scope is `own`; `None` with `all`.
    pub fn only_owner(&self) -> Option<Uuid> {
        match self.scope {
            Scope::All => None,
            // Nobody owns what a user-less caller could see with `own`.
            Scope::Own => Some(self.user_id.unwrap_or(Uuid::nil())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(scope: Scope, sees: Option<Scope>) -> (Access, Uuid) {
        let me = Uuid::now_v7();
        (Access { organization_id: Uuid::now_v7(), user_id: Some(me), scope, sees }, me)
    }

    #[test]
    fn own_scope_reaches_own_records_and_refuses_others_by_what_the_caller_sees() {
        let (own, me) = access(Scope::Own, Some(Scope::All));
        let other = Uuid::now_v7();
        assert!(own.reaches(Some(me)) && own.reaches([other, me]));
        assert!(!own.reaches(None) && !own.reaches([other]));
        assert!(matches!(own.refusal([other]), ApiError::Forbidden), "seen but not reached: 403");
        let (blind, _) = access(Scope::Own, Some(Scope::Own));
        assert!(matches!(blind.refusal([other]), ApiError::NotFound), "not even seen: 404");
        let (no_view, _) = access(Scope::Own, None);
        assert!(matches!(no_view.refusal([other]), ApiError::NotFound));
        assert_eq!(own.only_owner(), Some(me));
        assert!(own.check([me]).is_ok() && own.check([other]).is_err());
    }

    #[test]
    fn all_scope_and_system_work_reach_everything() {
        let (all, _) = access(Scope::All, Some(Scope::All));
        assert!(all.reaches(None) && all.only_owner().is_none());
        let system = Access::system(Uuid::now_v7(), None);
        assert!(system.reaches([Uuid::now_v7()]) && !system.owns([Uuid::nil()]));
    }
}
