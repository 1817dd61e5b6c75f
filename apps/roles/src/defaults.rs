//! The default roles seeded into every new organization, as rules over the permission
//! registry, so a permission an app adds later lands in the right default roles without
//! editing this file. `docs/permissions_rbac.md` shows the resulting table.

use baseops_core::{PermissionDef, Scope};

/// One rule: a pattern (`*`, `leads.*`, `*.view`, `leads.edit`) and the scope it grants.
pub type Rule = (&'static str, Scope);

/// A default role: a stable key, its initial name and description, and its rules.
#[derive(Debug, Clone, Copy)]
pub struct DefaultRole {
    /// Stable key, kept when an organization renames the role.
    pub key: &'static str,
    /// Initial name.
    pub name: &'static str,
    /// Initial description.
    pub description: &'static str,
    /// What it grants; a later rule for the same permission widens, never narrows.
    pub rules: &'static [Rule],
    /// Permissions it never gets, whatever the rules say.
    pub except: &'static [&'static str],
}

use Scope::{All, Own};

/// The key of the owner role, which every organization keeps at least one member in.
pub const OWNER: &str = "owner";

/// Owner, admin, manager, sales, accountant, marketer, support, viewer.
pub const DEFAULT_ROLES: &[DefaultRole] = &[
    DefaultRole {
        key: OWNER,
        name: "Owner",
        description: "Everything, including the organization itself",
        rules: &[("*", All)],
        except: &[],
    },
    DefaultRole {
        key: "admin",
        name: "Admin",
        description: "Everything except deleting the organization",
        rules: &[("*", All)],
        except: &["organizations.delete"],
    },
    DefaultRole {
        key: "manager",
        name: "Manager",
        description: "Runs the team: all tasks, leads and customers; sees reports and the audit trail",
        rules: &[
            ("*.view", All),
            ("tasks.*", All),
            ("leads.*", All),
            ("customers.*", All),
            ("members.invite", All),
        ],
        except: &[],
    },
    DefaultRole {
        key: "sales",
        name: "Sales",
        description: "Works their own leads and tasks",
        rules: &[
            ("leads.view", Own),
            ("leads.create", Own),
            ("leads.edit", Own),
            ("leads.convert", Own),
            ("leads.export", Own),
            ("tasks.view", Own),
            ("tasks.create", Own),
            ("tasks.edit", Own),
            ("tasks.comment", Own),
            ("customers.view", All),
            ("members.view", All),
        ],
        except: &[],
    },
    DefaultRole {
        key: "accountant",
        name: "Accountant",
        description: "Billing, invoices and refunds; sees customers",
        rules: &[
            ("billing.*", All),
            ("customers.*", All),
            ("tasks.view", Own),
            ("tasks.comment", Own),
            ("members.view", All),
        ],
        except: &[],
    },
    DefaultRole {
        key: "marketer",
        name: "Marketer",
        description: "Campaigns and analytics; reads and exports leads",
        rules: &[
            ("marketing.*", All),
            ("analytics.*", All),
            ("leads.view", All),
            ("leads.export", All),
            ("tasks.view", Own),
            ("tasks.create", Own),
            ("tasks.edit", Own),
            ("members.view", All),
        ],
        except: &[],
    },
    DefaultRole {
        key: "support",
        name: "Support",
        description: "Helps customers: reads leads and customers, works their own tasks",
        rules: &[
            ("leads.view", All),
            ("customers.view", All),
            ("tasks.view", Own),
            ("tasks.create", Own),
            ("tasks.edit", Own),
            ("tasks.comment", Own),
            ("members.view", All),
        ],
        except: &[],
    },
    DefaultRole {
        key: "viewer",
        name: "Viewer",
        description: "Reads everything, changes nothing",
        rules: &[("*.view", All)],
        except: &["audit.view"],
    },
];

fn matches(pattern: &str, name: &str) -> bool {
    match (pattern.strip_suffix(".*"), pattern.strip_prefix("*.")) {
        _ if pattern == "*" => true,
        (Some(app), _) => name.split_once('.').is_some_and(|(prefix, _)| prefix == app),
        (_, Some(action)) => name.split_once('.').is_some_and(|(_, suffix)| suffix == action),
        _ => pattern == name,
    }
}

/// The grants a default role gets from the registry: widest matching scope per permission;
/// a permission that cannot be scoped to own records is granted for all or not at all.
pub fn grants(role: &DefaultRole, registry: &[PermissionDef]) -> Vec<(&'static str, Scope)> {
    registry
        .iter()
        .filter(|permission| !role.except.contains(&permission.name))
        .filter_map(|permission| {
            let scope = role
                .rules
                .iter()
                .filter(|(pattern, _)| matches(pattern, permission.name))
                .map(|r| r.1)
                .max()?;
            Some((permission.name, if permission.scopable { scope } else { All }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTRY: &[PermissionDef] = &[
        PermissionDef::scoped("leads.view", "x"),
        PermissionDef::scoped("leads.edit", "x"),
        PermissionDef::global("leads.import", "x"),
        PermissionDef::global("audit.view", "x"),
        PermissionDef::global("organizations.delete", "x"),
    ];

    fn role(key: &str) -> &'static DefaultRole {
        DEFAULT_ROLES.iter().find(|role| role.key == key).unwrap()
    }

    #[test]
    fn rules_match_apps_actions_and_names() {
        assert!(matches("*", "leads.view"));
        assert!(matches("leads.*", "leads.view") && !matches("leads.*", "leadsx.view"));
        assert!(matches("*.view", "audit.view") && !matches("*.view", "audit.viewer"));
        assert!(matches("leads.edit", "leads.edit") && !matches("leads.edit", "leads.edits"));
    }

    #[test]
    fn default_roles_get_the_expected_grants() {
        let owner = grants(role("owner"), REGISTRY);
        assert_eq!(owner.len(), REGISTRY.len());
        assert!(!grants(role("admin"), REGISTRY).iter().any(|(name, _)| *name == "organizations.delete"));
        assert_eq!(grants(role("sales"), REGISTRY), vec![("leads.view", Own), ("leads.edit", Own)]);
        assert_eq!(grants(role("viewer"), REGISTRY), vec![("leads.view", All)]);
        let manager = grants(role("manager"), REGISTRY);
        assert!(manager.contains(&("leads.import", All)) && manager.contains(&("audit.view", All)));
    }
}
