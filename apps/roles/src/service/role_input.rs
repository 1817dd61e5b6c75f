//! [`RoleInput`]: the body of `POST /roles` and `PATCH /roles/{id}`, and its checks against
//! the permission registry, made by the handler before any service runs: [`RoleFields`] for a
//! new role, [`RoleChanges`] for a change to one.

use std::collections::BTreeMap;

use baseops_core::{FieldErrors, PermissionDef, Scope};

/// Longest role name.
pub const MAX_ROLE_NAME_LEN: usize = 64;
/// Longest role description.
pub const MAX_ROLE_DESCRIPTION_LEN: usize = 500;
/// Most roles per organization.
pub const MAX_ROLES_PER_ORGANIZATION: u64 = 100;
/// Characters of an unknown permission's name kept in its error's field path.
const MAX_NAME_IN_PATH: usize = 100;

/// A role's editable fields; `None` leaves a field as it is (on create: empty / no grants).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// Name, unique in the organization, 1–64 characters.
    pub name: Option<String>,
    /// Description, up to 500 characters.
    pub description: Option<String>,
    /// The complete set of grants: permission name → `own` or `all`.
    pub grants: Option<BTreeMap<String, Scope>>,
}

/// A new custom role, checked: a trimmed name of 1 to [`MAX_ROLE_NAME_LEN`] printable
/// characters (not yet known to be free), a description of at most
/// [`MAX_ROLE_DESCRIPTION_LEN`] characters, and grants of permissions the build declares, `own`
/// only where the permission has that scope. Only [`RoleInput::check_new`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFields {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) grants: BTreeMap<String, Scope>,
}

/// Changes to a role, checked as [`RoleFields`] are (`None`: unchanged; `grants` replaces
/// them all). Only [`RoleInput::check_changes`] makes one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleChanges {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) grants: Option<BTreeMap<String, Scope>>,
}

impl RoleInput {
    /// Checks a new role against `registry`, the permissions of this build: a name is required.
    ///
    /// # Errors
    /// Every problem, by field (`grants.<permission>` for a grant).
    pub fn check_new(self, registry: &[PermissionDef]) -> Result<RoleFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.name.is_none() {
            errors.add("name", "is required");
        }
        let changes = self.check(registry, errors)?;
        Ok(RoleFields {
            name: changes.name.unwrap_or_default(),
            description: changes.description.unwrap_or_default(),
            grants: changes.grants.unwrap_or_default(),
        })
    }

    /// Checks changes to a role against `registry`, the permissions of this build.
    ///
    /// # Errors
    /// Every problem, by field (`grants.<permission>` for a grant).
    pub fn check_changes(self, registry: &[PermissionDef]) -> Result<RoleChanges, FieldErrors> {
        self.check(registry, FieldErrors::new())
    }

    /// Checks every field given, adding to the problems already found.
    fn check(self, registry: &[PermissionDef], mut errors: FieldErrors) -> Result<RoleChanges, FieldErrors> {
        if let Some(name) = &self.name {
            let length = name.trim().chars().count();
            // Control characters count anywhere, even where trimming would drop them.
            if length == 0 || length > MAX_ROLE_NAME_LEN || name.chars().any(char::is_control) {
                errors.add("name", format!("must be 1 to {MAX_ROLE_NAME_LEN} printable characters"));
            }
        }
        if let Some(description) = &self.description
            && description.chars().count() > MAX_ROLE_DESCRIPTION_LEN
        {
            errors.add("description", format!("must be at most {MAX_ROLE_DESCRIPTION_LEN} characters"));
        }
        for (name, scope) in self.grants.iter().flatten() {
            match registry.iter().find(|permission| permission.name == name) {
                None => {
                    let shown: String = name.chars().take(MAX_NAME_IN_PATH).collect();
                    errors.add(format!("grants.{shown}"), "is not a permission");
                }
                Some(permission) if !permission.scopable && *scope == Scope::Own => {
                    errors.add(format!("grants.{name}"), "cannot be limited to own records");
                }
                Some(_) => {}
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(RoleChanges {
            name: self.name.map(|name| name.trim().to_owned()),
            description: self.description,
            grants: self.grants,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTRY: &[PermissionDef] = &[
        PermissionDef { name: "leads.view", description: "", scopable: true },
        PermissionDef { name: "roles.manage", description: "", scopable: false },
    ];

    fn grants(of: &[(&str, Scope)]) -> BTreeMap<String, Scope> {
        of.iter().map(|(name, scope)| ((*name).to_owned(), *scope)).collect()
    }

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.iter().map(|(field, _)| field).collect()
    }

    #[test]
    fn a_new_role_needs_a_name_and_known_grants() {
        let input = RoleInput {
            name: Some("  Auditor ".into()),
            grants: Some(grants(&[("leads.view", Scope::Own), ("roles.manage", Scope::All)])),
            ..RoleInput::default()
        };
        let checked = input.clone().check_new(REGISTRY).expect("accepted");
        assert_eq!(checked.name, "Auditor");
        assert_eq!(checked.description, "");
        assert_eq!(checked.grants, input.grants.unwrap_or_default());

        let errors = RoleInput { description: Some("d".repeat(501)), ..RoleInput::default() }
            .check_new(REGISTRY)
            .expect_err("refused");
        assert_eq!(fields(&errors), ["description", "name"]);
        assert_eq!(errors.get("name"), Some(&["is required".to_owned()][..]));
    }

    #[test]
    fn grants_are_checked_against_the_registry() {
        let long = "x".repeat(150);
        let input = RoleInput {
            grants: Some(grants(&[
                ("roles.manage", Scope::Own),
                ("no.such", Scope::All),
                (&long, Scope::All),
            ])),
            ..RoleInput::default()
        };
        let errors = input.check_changes(REGISTRY).expect_err("refused");
        let shown = format!("grants.{}", "x".repeat(100));
        assert_eq!(fields(&errors), ["grants.no.such", "grants.roles.manage", shown.as_str()]);
        assert_eq!(
            errors.get("grants.roles.manage"),
            Some(&["cannot be limited to own records".to_owned()][..])
        );
    }

    #[test]
    fn names_are_1_to_64_printable_characters() {
        for name in [" ", "Line\nbreak", "\tTab", &"x".repeat(65)] {
            let input = RoleInput { name: Some(name.to_owned()), ..RoleInput::default() };
            assert!(input.check_changes(REGISTRY).is_err(), "{name:?}");
        }
        let nothing = RoleInput::default().check_changes(REGISTRY).expect("nothing to change");
        assert_eq!(nothing, RoleChanges::default());
    }
}
