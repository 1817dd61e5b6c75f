//! Input rules shared by the bodies' checks: names, slugs, time zones. E-mail addresses and
//! currencies are the platform's [`baseops_core::Email`] and [`baseops_core::Currency`].

use baseops_core::FieldErrors;

/// Longest display or organization name.
pub const MAX_NAME_LEN: usize = 100;

/// Trims a required name and checks its length and characters.
pub fn clean_name(raw: &str, field: &str, errors: &mut FieldErrors) -> String {
    let name = raw.trim().to_owned();
    if name.is_empty() {
        errors.add(field, "is required");
    } else if name.chars().count() > MAX_NAME_LEN {
        errors.add(field, format!("must be at most {MAX_NAME_LEN} characters"));
    } else if name.chars().any(char::is_control) {
        errors.add(field, "must not contain control characters");
    }
    name
}

/// A slug: lowercase ASCII letters, digits and single hyphens, 2–63 characters.
pub fn check_slug(slug: &str) -> Result<(), &'static str> {
    let ok = (2..=63).contains(&slug.len())
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if ok { Ok(()) } else { Err("must be 2-63 lowercase letters, digits and single hyphens") }
}

/// A slug made from a name: `Acme Trading, Ltd.` → `acme-trading-ltd`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(50).collect();
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.len() < 2 { "org".to_owned() } else { slug }
}

/// An IANA time zone name's shape (`UTC`, `Europe/Paris`, `America/Argentina/Salta`).
pub fn check_time_zone(zone: &str) -> Result<(), &'static str> {
    let ok = !zone.is_empty()
        && zone.len() <= 64
        && zone.split('/').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
        });
    if ok { Ok(()) } else { Err("must be an IANA time zone such as Europe/Paris") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_time_zones() {
        assert_eq!(slugify("Acme Trading, Ltd."), "acme-trading-ltd");
        assert_eq!(slugify("日本"), "org");
        assert!(check_slug("acme-1").is_ok());
        for bad in ["a", "-acme", "acme-", "ac--me", "Acme", "acme_1"] {
            assert!(check_slug(bad).is_err(), "{bad:?} accepted");
        }
        assert!(check_time_zone("America/Argentina/Salta").is_ok() && check_time_zone("Etc/GMT+3").is_ok());
        assert!(check_time_zone("../etc/passwd").is_err() && check_time_zone("").is_err());
    }
}
