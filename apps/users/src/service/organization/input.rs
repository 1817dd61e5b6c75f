//! The bodies of the organization and member endpoints, and their one check each, made by
//! the handler (or `baseops createsuperuser`) before any service runs: [`NewOrganization`] →
//! [`OrganizationFields`], [`OrganizationChange`] → [`OrganizationUpdate`], [`MemberRoles`] →
//! [`RoleSet`].

use baseops_core::{Currency, FieldErrors};
use serde::Deserialize;
use uuid::Uuid;

use crate::validate::{check_slug, check_time_zone, clean_name, slugify};

/// The currency of an organization created without one.
const DEFAULT_CURRENCY: &str = "USD";
/// The time zone of an organization created without one.
const DEFAULT_TIME_ZONE: &str = "UTC";
/// Most roles one member may be given at once.
pub const MAX_MEMBER_ROLES: usize = 50;

/// A new organization, as the API accepts it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    /// Display name, 1–100 characters.
    pub name: String,
    /// URL name; made from the name when absent.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", min_length = 2, max_length = 63)]
    pub slug: Option<String>,
    /// ISO 4217 code, in any case (stored upper-case); `USD` when absent.
    #[schema(value_type = Option<baseops_core::Currency>)]
    pub currency: Option<String>,
    /// IANA time zone; `UTC` when absent.
    #[schema(pattern = "^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$", max_length = 64)]
    pub time_zone: Option<String>,
}

/// A new organization, checked: a trimmed name of 1 to 100 printable characters, a slug of
/// 2 to 63 lower-case letters, digits and single hyphens (given or made from the name; not yet
/// known to be free), a current ISO 4217 currency and a time zone shaped like an IANA name.
/// Only [`NewOrganization::check`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationFields {
    pub(crate) name: String,
    pub(crate) slug: String,
    pub(crate) currency: Currency,
    pub(crate) time_zone: String,
}

/// Changes to an organization; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationChange {
    /// New name.
    pub name: Option<String>,
    /// New slug (links and `X-Organization` values with the old one stop working).
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", min_length = 2, max_length = 63)]
    pub slug: Option<String>,
    /// New default currency.
    #[schema(value_type = Option<baseops_core::Currency>)]
    pub currency: Option<String>,
    /// New default time zone.
    #[schema(pattern = "^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$", max_length = 64)]
    pub time_zone: Option<String>,
}

/// A checked [`OrganizationChange`], each field as in [`OrganizationFields`] (`None`:
/// unchanged). Only [`OrganizationChange::check`] makes one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationUpdate {
    pub(crate) name: Option<String>,
    pub(crate) slug: Option<String>,
    pub(crate) currency: Option<Currency>,
    pub(crate) time_zone: Option<String>,
}

/// The roles to give a member: the complete set.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRoles {
    /// Role ids of this organization (at most 50).
    pub roles: Vec<Uuid>,
}

/// A member's complete set of roles, checked: at most [`MAX_MEMBER_ROLES`] ids, sorted and
/// without duplicates (not yet known to be roles of the organization). Only
/// [`MemberRoles::check`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSet(Vec<Uuid>);

impl RoleSet {
    /// The role ids, sorted.
    pub fn ids(&self) -> &[Uuid] {
        &self.0
    }
}

/// A currency code in its stored form (`eur` → `EUR`), or its problem under `currency`.
fn currency(errors: &mut FieldErrors, text: &str) -> Option<Currency> {
    Currency::parse(text)
        .map_err(|error| {
            errors.add("currency", error.to_string());
        })
        .ok()
}

fn slug(errors: &mut FieldErrors, slug: &str) {
    if let Err(message) = check_slug(slug) {
        errors.add("slug", message);
    }
}

fn time_zone(errors: &mut FieldErrors, zone: &str) {
    if let Err(message) = check_time_zone(zone) {
        errors.add("time_zone", message);
    }
}

impl NewOrganization {
    /// Checks every field, filling in the defaults: a slug made from the name, `USD`, `UTC`.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn check(self) -> Result<OrganizationFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = clean_name(&self.name, "name", &mut errors);
        let made_slug = self.slug.unwrap_or_else(|| slugify(&name));
        slug(&mut errors, &made_slug);
        let currency = currency(&mut errors, self.currency.as_deref().unwrap_or(DEFAULT_CURRENCY));
        let zone = self.time_zone.unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned());
        time_zone(&mut errors, &zone);
        match currency {
            Some(currency) if errors.is_empty() => {
                Ok(OrganizationFields { name, slug: made_slug, currency, time_zone: zone })
            }
            _ => Err(errors),
        }
    }
}

impl OrganizationChange {
    /// Checks every field given.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn check(self) -> Result<OrganizationUpdate, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.map(|name| clean_name(&name, "name", &mut errors));
        if let Some(given) = &self.slug {
            slug(&mut errors, given);
        }
        let currency = self.currency.and_then(|text| currency(&mut errors, &text));
        if let Some(zone) = &self.time_zone {
            time_zone(&mut errors, zone);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(OrganizationUpdate { name, slug: self.slug, currency, time_zone: self.time_zone })
    }
}

impl MemberRoles {
    /// Checks the number of roles and sorts them.
    ///
    /// # Errors
    /// `roles` when there are more than [`MAX_MEMBER_ROLES`].
    pub fn check(self) -> Result<RoleSet, FieldErrors> {
        if self.roles.len() > MAX_MEMBER_ROLES {
            let mut errors = FieldErrors::new();
            errors.add("roles", format!("must name at most {MAX_MEMBER_ROLES} roles"));
            return Err(errors);
        }
        let mut roles = self.roles;
        roles.sort_unstable();
        roles.dedup();
        Ok(RoleSet(roles))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.iter().map(|(field, _)| field).collect()
    }

    #[test]
    fn a_new_organization_gets_its_defaults() {
        let new = NewOrganization {
            name: "  Acme Trading, Ltd. ".into(),
            slug: None,
            currency: None,
            time_zone: None,
        };
        let checked = new.check().expect("accepted");
        assert_eq!(checked.name, "Acme Trading, Ltd.");
        assert_eq!(checked.slug, "acme-trading-ltd");
        assert_eq!(checked.currency.code(), "USD");
        assert_eq!(checked.time_zone, "UTC");
        let new = NewOrganization {
            name: "Acme".into(),
            slug: None,
            currency: Some("eur".into()),
            time_zone: None,
        };
        assert_eq!(new.check().map(|checked| checked.currency.code()), Ok("EUR"));
    }

    #[test]
    fn every_problem_of_a_new_organization_is_reported() {
        let new = NewOrganization {
            name: " ".into(),
            slug: Some("-acme".into()),
            currency: Some("EURO".into()),
            time_zone: Some("../etc".into()),
        };
        let errors = new.check().expect_err("refused");
        assert_eq!(fields(&errors), ["currency", "name", "slug", "time_zone"]);
        // A name with nothing to make a slug of still gets one.
        let new = NewOrganization { name: "日本".into(), slug: None, currency: None, time_zone: None };
        assert_eq!(new.check().map(|checked| checked.slug), Ok("org".to_owned()));
    }

    #[test]
    fn organization_changes_are_checked_field_by_field() {
        assert_eq!(OrganizationChange::default().check(), Ok(OrganizationUpdate::default()));
        let change = OrganizationChange { currency: Some("jpy".into()), ..OrganizationChange::default() };
        assert_eq!(change.check().map(|update| update.currency), Ok(Currency::parse("JPY").ok()));
        let change = OrganizationChange {
            name: Some("n".repeat(101)),
            slug: Some("Acme".into()),
            currency: Some("XXX1".into()),
            time_zone: Some(String::new()),
        };
        let errors = change.check().expect_err("refused");
        assert_eq!(fields(&errors), ["currency", "name", "slug", "time_zone"]);
    }

    #[test]
    fn a_member_has_at_most_50_roles_sorted_once_each() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let set = MemberRoles { roles: vec![b, a, b] }.check().expect("accepted");
        let mut sorted = [a, b];
        sorted.sort_unstable();
        assert_eq!(set.ids(), sorted);
        let errors =
            MemberRoles { roles: (0..51).map(|_| Uuid::now_v7()).collect() }.check().expect_err("refused");
        assert_eq!(errors.get("roles"), Some(&["must name at most 50 roles".to_owned()][..]));
    }
}
