//! Who may hand out which roles: nobody grants more than they hold, and only an owner grants or
//! takes away the owner role — the rule invitations already follow, applied to giving members
//! roles and to creating, editing and deleting roles. `roles.manage` alone does not let an
//! admin make themself owner, demote the owner, or write a role that holds what they lack.

use std::collections::BTreeMap;
use std::sync::Arc;

use baseops_core::{ApiError, Grants, PermissionDef, RequestContext, Scope};

/// The one handing out roles or grants, with what they hold.
#[derive(Debug, Clone)]
pub enum Granter {
    /// A superuser or the system: no limit.
    Unlimited,
    /// A member, acting with these effective grants (a token's: narrowed to its scopes).
    Member {
        /// What they hold.
        held: Arc<Grants>,
        /// Whether they hold every permission for the whole organization, as the owner role
        /// does: only such a member grants or takes away the owner role.
        owner: bool,
    },
}

impl Granter {
    /// The granter a request acts as, judged against every permission the build knows.
    pub fn of(ctx: &RequestContext, registry: &[PermissionDef]) -> Self {
        if ctx.principal.is_superuser {
            return Self::Unlimited;
        }
        let held = Arc::clone(&ctx.principal.grants);
        let owner = registry.iter().all(|def| held.get(def.name) == Some(&Scope::All));
        Self::Member { held, owner }
    }

    /// 403 `role_not_allowed` unless the granter holds every grant of `grants` at least as
    /// widely; `what` names the role in the answer.
    ///
    /// # Errors
    /// As above, naming the first permission they lack.
    pub fn ensure_covers(&self, grants: &BTreeMap<String, Scope>, what: &str) -> Result<(), ApiError> {
        let Self::Member { held, .. } = self else { return Ok(()) };
        let lacking =
            grants.iter().find(|(permission, scope)| held.get(*permission).is_none_or(|mine| mine < scope));
        match lacking {
            None => Ok(()),
            Some((permission, scope)) => Err(ApiError::Refused {
                code: "role_not_allowed",
                detail: format!(
                    "{what} grants {permission} ({}), which you do not hold: nobody grants more than they hold.",
                    scope.as_str()
                ),
            }),
        }
    }

    /// 403 `role_not_allowed` unless the granter is an owner.
    ///
    /// # Errors
    /// As above.
    pub fn ensure_owner(&self) -> Result<(), ApiError> {
        match self {
            Self::Member { owner: false, .. } => Err(ApiError::Refused {
                code: "role_not_allowed",
                detail: "Only an owner gives or takes away the owner role.".into(),
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(grants: &[(&str, Scope)], owner: bool) -> Granter {
        let held = grants.iter().map(|(name, scope)| ((*name).to_owned(), *scope)).collect();
        Granter::Member { held: Arc::new(held), owner }
    }

    fn grants(list: &[(&str, Scope)]) -> BTreeMap<String, Scope> {
        list.iter().map(|(name, scope)| ((*name).to_owned(), *scope)).collect()
    }

    #[test]
    fn a_member_grants_what_they_hold_and_no_more() {
        let admin = member(&[("leads.view", Scope::All), ("tasks.edit", Scope::Own)], false);
        assert!(admin.ensure_covers(&grants(&[("leads.view", Scope::Own)]), "Sales").is_ok());
        assert!(admin.ensure_covers(&grants(&[("leads.view", Scope::All)]), "Sales").is_ok());
        let wider = admin.ensure_covers(&grants(&[("tasks.edit", Scope::All)]), "Lead").unwrap_err();
        assert!(format!("{wider:?}").contains("tasks.edit"), "{wider:?}");
        let missing =
            admin.ensure_covers(&grants(&[("organizations.delete", Scope::All)]), "Owner").unwrap_err();
        assert!(format!("{missing:?}").contains("organizations.delete"), "{missing:?}");
        assert!(admin.ensure_owner().is_err());
    }

    #[test]
    fn owners_and_superusers_are_not_limited() {
        assert!(member(&[], true).ensure_owner().is_ok());
        assert!(Granter::Unlimited.ensure_owner().is_ok());
        assert!(Granter::Unlimited.ensure_covers(&grants(&[("x.y", Scope::All)]), "Any").is_ok());
    }
}
