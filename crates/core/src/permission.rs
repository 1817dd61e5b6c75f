//! Permissions as apps declare them, and the default roles new organizations start with.
//!
//! Each app declares its permissions ([`PermissionDef`]) and what the default roles get of
//! them ([`DefaultGrant`]); the roles app declares the default roles themselves
//! ([`DefaultRole`], with the rules every app's permissions fall under, such as "owner gets
//! everything"). The composition root gathers all of it into one [`PermissionRegistry`],
//! kept in the application state, so a permission an app adds lands in the right default
//! roles without editing any other app.

use serde::Serialize;

use crate::Scope;

/// A permission an app declares, e.g. `leads.edit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PermissionDef {
    /// `<resource>.<action>`, lowercase.
    pub name: &'static str,
    /// What it allows, for the roles editor and `GET /api/v1/permissions`.
    pub description: &'static str,
    /// Whether a grant may be limited to the actor's own records (created by or assigned to
    /// them); when false every grant applies to all records of the organization.
    pub scopable: bool,
}

impl PermissionDef {
    /// A permission that can be granted for own records or all records.
    pub const fn scoped(name: &'static str, description: &'static str) -> Self {
        Self { name, description, scopable: true }
    }

    /// A permission that always applies to the whole organization.
    pub const fn global(name: &'static str, description: &'static str) -> Self {
        Self { name, description, scopable: false }
    }
}

/// What a default role gets: permissions matching `pattern` (`*`, `leads.*`, `*.view`,
/// `leads.edit`), with `scope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultGrant {
    /// The default role's key (`sales`).
    pub role: &'static str,
    /// Which permissions.
    pub pattern: &'static str,
    /// How far they reach; a permission that cannot be scoped is granted for all.
    pub scope: Scope,
}

impl DefaultGrant {
    /// `role` gets the permissions matching `pattern` with `scope`.
    pub const fn new(role: &'static str, pattern: &'static str, scope: Scope) -> Self {
        Self { role, pattern, scope }
    }

    /// Whether this grant covers `permission`.
    pub fn covers(&self, permission: &str) -> bool {
        pattern_matches(self.pattern, permission)
    }
}

/// A role every new organization starts with (editable afterwards), and the rules it gets
/// over every app's permissions, besides what each app grants it.
#[derive(Debug, Clone, Copy)]
pub struct DefaultRole {
    /// Stable key, kept when an organization renames the role.
    pub key: &'static str,
    /// Initial name.
    pub name: &'static str,
    /// Initial description.
    pub description: &'static str,
    /// Patterns granted over every app's permissions (`*` for the owner, `*.view` for the viewer).
    pub rules: &'static [(&'static str, Scope)],
    /// Permissions it never gets, whatever the rules and the apps say.
    pub except: &'static [&'static str],
}

/// Whether `pattern` (`*`, `app.*`, `*.action`, or a full name) matches a permission name.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    match (pattern.strip_suffix(".*"), pattern.strip_prefix("*.")) {
        _ if pattern == "*" => true,
        (Some(resource), _) => name.split_once('.').is_some_and(|(prefix, _)| prefix == resource),
        (_, Some(action)) => name.split_once('.').is_some_and(|(_, suffix)| suffix == action),
        _ => pattern == name,
    }
}

/// Every permission of the build, the default roles and what the apps grant them.
#[derive(Debug, Clone, Default)]
pub struct PermissionRegistry {
    permissions: Vec<PermissionDef>,
    roles: Vec<DefaultRole>,
    grants: Vec<DefaultGrant>,
}

impl PermissionRegistry {
    /// A registry of these permissions, default roles and app grants.
    pub fn new(permissions: Vec<PermissionDef>, roles: Vec<DefaultRole>, grants: Vec<DefaultGrant>) -> Self {
        Self { permissions, roles, grants }
    }

    /// Every permission, in app order.
    pub fn permissions(&self) -> &[PermissionDef] {
        &self.permissions
    }

    /// The permission named `name`.
    pub fn get(&self, name: &str) -> Option<&PermissionDef> {
        self.permissions.iter().find(|permission| permission.name == name)
    }

    /// The default roles.
    pub fn default_roles(&self) -> &[DefaultRole] {
        &self.roles
    }

    /// The default role with this key.
    pub fn default_role(&self, key: &str) -> Option<&DefaultRole> {
        self.roles.iter().find(|role| role.key == key)
    }

    /// What a default role gets: for each permission the widest scope its rules and the
    /// apps' grants give, a permission that cannot be scoped granted for all.
    pub fn grants_of(&self, role: &DefaultRole) -> Vec<(&'static str, Scope)> {
        let from_apps = self.grants.iter().filter(|grant| grant.role == role.key);
        let patterns: Vec<(&str, Scope)> =
            role.rules.iter().copied().chain(from_apps.map(|grant| (grant.pattern, grant.scope))).collect();
        self.permissions
            .iter()
            .filter(|permission| !role.except.contains(&permission.name))
            .filter_map(|permission| {
                let scope = patterns
                    .iter()
                    .filter(|(pattern, _)| pattern_matches(pattern, permission.name))
                    .map(|(_, scope)| *scope)
                    .max()?;
                Some((permission.name, if permission.scopable { scope } else { Scope::All }))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Scope::{All, Own};

    const OWNER: DefaultRole =
        DefaultRole { key: "owner", name: "Owner", description: "", rules: &[("*", All)], except: &[] };
    const SALES: DefaultRole =
        DefaultRole { key: "sales", name: "Sales", description: "", rules: &[], except: &[] };
    const VIEWER: DefaultRole = DefaultRole {
        key: "viewer",
        name: "Viewer",
        description: "",
        rules: &[("*.view", All)],
        except: &["audit.view"],
    };

    fn registry() -> PermissionRegistry {
        PermissionRegistry::new(
            vec![
                PermissionDef::scoped("leads.view", "x"),
                PermissionDef::scoped("leads.edit", "x"),
                PermissionDef::global("leads.import", "x"),
                PermissionDef::global("audit.view", "x"),
            ],
            vec![OWNER, SALES, VIEWER],
            vec![
                DefaultGrant::new("sales", "leads.view", Own),
                DefaultGrant::new("sales", "leads.edit", Own),
                DefaultGrant::new("sales", "leads.import", Own),
                DefaultGrant::new("viewer", "leads.view", Own),
            ],
        )
    }

    #[test]
    fn patterns_match_resources_actions_and_names() {
        assert!(pattern_matches("*", "leads.view"));
        assert!(pattern_matches("leads.*", "leads.view") && !pattern_matches("leads.*", "leadsx.view"));
        assert!(pattern_matches("*.view", "audit.view") && !pattern_matches("*.view", "audit.viewer"));
        assert!(pattern_matches("leads.edit", "leads.edit") && !pattern_matches("leads.edit", "leads.edits"));
    }

    #[test]
    fn roles_get_their_rules_and_the_apps_grants_widest_first() {
        let registry = registry();
        assert_eq!(registry.grants_of(&OWNER).len(), 4);
        // An unscopable permission granted for own records is granted for all.
        assert_eq!(
            registry.grants_of(&SALES),
            vec![("leads.view", Own), ("leads.edit", Own), ("leads.import", All)]
        );
        // A wider rule wins over a narrower app grant; `except` wins over both.
        assert_eq!(registry.grants_of(&VIEWER), vec![("leads.view", All)]);
    }
}
