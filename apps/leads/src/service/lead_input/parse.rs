//! The checks of a lead's fields, one function per field, shared by the edges that take
//! leads in: the API's bodies ([`NewLead`](super::NewLead), [`LeadPatch`](super::LeadPatch))
//! and CSV rows ([`crate::import::row`]). Each records its problem under the field's name
//! and yields the normalized value (contact data through the [`crate::contact`] newtypes and
//! the platform's [`Email`] and [`Currency`]).

use baseops_core::{Currency, Email, FieldErrors, Money};

use crate::contact::{Phone, Website};

/// Longest first or last name.
pub const MAX_NAME_LEN: usize = 100;
/// Longest company or job title.
pub const MAX_COMPANY_LEN: usize = 200;
/// Longest address.
pub const MAX_ADDRESS_LEN: usize = 1000;
/// Longest UTM value.
pub const MAX_UTM_LEN: usize = 200;
/// Longest notes.
pub const MAX_NOTES_LEN: usize = 10_000;
/// Most tags on one lead.
pub const MAX_TAGS: usize = 20;
/// Longest tag.
pub const MAX_TAG_LEN: usize = 50;
/// Longest source name.
pub const MAX_SOURCE_LEN: usize = 32;
/// Highest score (scores run from 0).
pub const MAX_SCORE: i32 = 1000;
/// Largest estimated value, in minor units: the platform's money limit, 10^15 (exact in every
/// engine and in JSON).
pub const MAX_VALUE: i64 = Money::MAX_AMOUNT;
/// The source of a lead created without one.
pub const DEFAULT_SOURCE: &str = "manual";

/// Trims; `None` for blank text; an error past `max` characters or with control characters
/// (newlines allowed where `multiline`).
pub(crate) fn text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<String>,
    max: usize,
    multiline: bool,
) -> Option<String> {
    let value = value?.trim().to_owned();
    if value.is_empty() {
        return None;
    }
    if value.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
        return None;
    }
    if value.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        errors.add(field, "must not contain control characters");
        return None;
    }
    Some(value)
}

/// Checks a source word.
pub(crate) fn source(errors: &mut FieldErrors, value: Option<String>) -> String {
    let Some(value) = value.map(|v| v.trim().to_lowercase()).filter(|v| !v.is_empty()) else {
        return DEFAULT_SOURCE.to_owned();
    };
    if value.len() > MAX_SOURCE_LEN
        || !value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        errors.add("source", format!("must be a word of a-z, 0-9 and _, at most {MAX_SOURCE_LEN} long"));
        return DEFAULT_SOURCE.to_owned();
    }
    value
}

/// Checks and normalizes tags: at most [`MAX_TAGS`] given, lower-case, trimmed, unique.
pub(crate) fn tags(errors: &mut FieldErrors, value: Option<Vec<String>>) -> Vec<String> {
    let value = value.unwrap_or_default();
    // Counted before any tag is looked at: the work below stays bounded whatever is sent.
    if value.len() > MAX_TAGS {
        errors.add("tags", format!("at most {MAX_TAGS} tags"));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(value.len());
    for tag in value {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN || tag.chars().any(char::is_control) {
            errors.add("tags", format!("each tag must be 1 to {MAX_TAG_LEN} printable characters"));
            return Vec::new();
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// Checks an e-mail address: stored lower-case.
pub(crate) fn email(errors: &mut FieldErrors, value: Option<String>) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    match Email::parse(&value) {
        Ok(email) => Some(email.into_inner()),
        Err(error) => {
            errors.add("email", error.to_string());
            None
        }
    }
}

/// Checks a phone number, read in `region` unless it starts with `+`.
pub(crate) fn phone(errors: &mut FieldErrors, value: Option<String>, region: &str) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    match Phone::parse(&value, region) {
        Ok(phone) => Some(phone.into_inner()),
        Err(message) => {
            errors.add("phone", message);
            None
        }
    }
}

/// Checks a website; a bare host gets `https://`.
pub(crate) fn website(errors: &mut FieldErrors, value: Option<String>) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    match Website::parse(&value) {
        Ok(site) => Some(site.into_inner()),
        Err(message) => {
            errors.add("website", message);
            None
        }
    }
}

/// Checks an ISO 4217 code: stored upper-case.
pub(crate) fn currency(errors: &mut FieldErrors, value: Option<String>) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    match Currency::parse(&value) {
        Ok(currency) => Some(currency.code().to_owned()),
        Err(error) => {
            errors.add("currency", error.to_string());
            None
        }
    }
}

/// Checks an estimated value in minor units.
pub(crate) fn value(errors: &mut FieldErrors, value: Option<i64>) -> Option<i64> {
    let value = value?;
    if !(0..=MAX_VALUE).contains(&value) {
        errors.add("value_amount", format!("must be between 0 and {MAX_VALUE} (minor units)"));
        return None;
    }
    Some(value)
}

/// Checks a score; none is 0.
pub(crate) fn score(errors: &mut FieldErrors, value: Option<i32>) -> i32 {
    let value = value.unwrap_or(0);
    if !(0..=MAX_SCORE).contains(&value) {
        errors.add("score", format!("must be between 0 and {MAX_SCORE}"));
        return 0;
    }
    value
}
