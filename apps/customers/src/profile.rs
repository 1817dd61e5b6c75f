//! A customer's billing profile: legal name, addresses, tax ids, tax treatment, currency,
//! payment terms, billing contacts and locale — what invoices, PDFs and reminders need. Each
//! part is checked here, once, for the API and every other caller.

use baseops_core::{Currency, Email, FieldErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::tax_id::TaxIdKind;

/// Most tax ids a customer has.
pub const MAX_TAX_IDS: usize = 5;
/// Most billing e-mail contacts a customer has.
pub const MAX_BILLING_EMAILS: usize = 10;
/// Longest payment terms, in days.
pub const MAX_TERMS_DAYS: i32 = 365;

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street and number, 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub line1: String,
    /// More of it, up to 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub line2: Option<String>,
    /// City, 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub city: String,
    /// Postal code, up to 20 characters.
    #[serde(default)]
    #[schema(max_length = 20)]
    pub postal_code: Option<String>,
    /// State, province or region, up to 100 characters.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2 country code (`DE`).
    #[schema(min_length = 2, max_length = 2, example = "DE")]
    pub country: String,
}

/// A tax id of the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxId {
    /// The scheme.
    #[serde(rename = "type")]
    pub kind: TaxIdKind,
    /// The number, as printed; stored in its canonical form.
    #[schema(min_length = 1, max_length = 40)]
    pub value: String,
}

/// How taxes apply to the customer (Stripe's `tax_exempt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxExempt {
    /// Taxed as the lines say.
    #[default]
    None,
    /// Exempt: no tax is charged.
    Exempt,
    /// Reverse charge: no tax is charged and the invoice says the customer accounts for it.
    Reverse,
}

impl TaxExempt {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Exempt => "exempt",
            Self::Reverse => "reverse",
        }
    }

    /// The treatment named `text` (`none` for anything unknown).
    pub fn parse(text: &str) -> Self {
        [Self::Exempt, Self::Reverse].into_iter().find(|kind| kind.as_str() == text).unwrap_or_default()
    }
}

/// A checked billing profile, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// The name invoices are addressed to, when it differs from the display name.
    pub legal_name: Option<String>,
    /// Where invoices go.
    pub billing_address: Option<Address>,
    /// Where goods go.
    pub shipping_address: Option<Address>,
    /// Tax ids, canonical.
    pub tax_ids: Vec<TaxId>,
    /// Tax treatment.
    pub tax_exempt: TaxExempt,
    /// The currency the customer is billed in by default.
    pub currency: Option<Currency>,
    /// Days from an invoice's finalizing to its due date, by default.
    pub payment_terms_days: Option<i32>,
    /// Who receives invoices and reminders.
    pub billing_emails: Vec<String>,
    /// Language and region of documents (`de-DE`).
    pub locale: Option<String>,
}

impl Profile {
    /// The profile stored in a customer row.
    pub fn of(row: &crate::model::customer::Model) -> Self {
        let address =
            |json: &Option<String>| json.as_deref().and_then(|json| serde_json::from_str(json).ok());
        Self {
            legal_name: row.legal_name.clone(),
            billing_address: address(&row.billing_address),
            shipping_address: address(&row.shipping_address),
            tax_ids: serde_json::from_str(&row.tax_ids).unwrap_or_default(),
            tax_exempt: TaxExempt::parse(&row.tax_exempt),
            currency: row.currency.as_deref().and_then(|code| Currency::parse(code).ok()),
            payment_terms_days: row.payment_terms_days,
            billing_emails: serde_json::from_str(&row.billing_emails).unwrap_or_default(),
            locale: row.locale.clone(),
        }
    }
}

/// Trimmed text of at most `max` printable characters, `None` when blank.
pub(crate) fn text(field: &str, value: Option<&str>, max: usize, errors: &mut FieldErrors) -> Option<String> {
    let value = value.map(str::trim).filter(|value| !value.is_empty())?;
    if value.chars().count() > max || value.chars().any(char::is_control) {
        errors.add(field, format!("must be at most {max} printable characters"));
    }
    Some(value.to_owned())
}

/// Checks an address: `field.line1`, `field.country`, ….
pub fn check_address(field: &str, address: Address, errors: &mut FieldErrors) -> Address {
    let mut required = |name: &str, value: &str, max: usize| {
        let found = text(&format!("{field}.{name}"), Some(value), max, errors);
        if found.is_none() {
            errors.add(format!("{field}.{name}"), "is required");
        }
        found.unwrap_or_default()
    };
    let line1 = required("line1", &address.line1, 200);
    let city = required("city", &address.city, 100);
    let country = address.country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|byte| byte.is_ascii_uppercase()) {
        errors.add(format!("{field}.country"), "must be an ISO 3166-1 alpha-2 code (DE, FR, US)");
    }
    Address {
        line1,
        line2: text(&format!("{field}.line2"), address.line2.as_deref(), 200, errors),
        city,
        postal_code: text(&format!("{field}.postal_code"), address.postal_code.as_deref(), 20, errors),
        region: text(&format!("{field}.region"), address.region.as_deref(), 100, errors),
        country,
    }
}

/// Checks tax ids: at most [`MAX_TAX_IDS`], each in its scheme's format, each once.
pub fn check_tax_ids(ids: Vec<TaxId>, errors: &mut FieldErrors) -> Vec<TaxId> {
    if ids.len() > MAX_TAX_IDS {
        errors.add("tax_ids", format!("at most {MAX_TAX_IDS}"));
        return Vec::new();
    }
    let mut checked: Vec<TaxId> = Vec::with_capacity(ids.len());
    for (index, id) in ids.into_iter().enumerate() {
        match id.kind.normalize(&id.value) {
            Ok(value) if checked.iter().any(|other| other.kind == id.kind && other.value == value) => {
                errors.add(format!("tax_ids[{index}].value"), "appears twice");
            }
            Ok(value) => checked.push(TaxId { kind: id.kind, value }),
            Err(problem) => {
                errors.add(format!("tax_ids[{index}].value"), problem);
            }
        }
    }
    checked
}

/// Checks billing e-mail addresses: at most [`MAX_BILLING_EMAILS`], each valid, normalized.
pub fn check_billing_emails(emails: Vec<String>, errors: &mut FieldErrors) -> Vec<String> {
    if emails.len() > MAX_BILLING_EMAILS {
        errors.add("billing_emails", format!("at most {MAX_BILLING_EMAILS}"));
        return Vec::new();
    }
    let mut checked: Vec<String> = Vec::with_capacity(emails.len());
    for (index, email) in emails.iter().enumerate() {
        match Email::parse(email) {
            Ok(email) if checked.contains(&email.as_str().to_owned()) => {
                errors.add(format!("billing_emails[{index}]"), "appears twice");
            }
            Ok(email) => checked.push(email.into_inner()),
            Err(problem) => {
                errors.add(format!("billing_emails[{index}]"), problem.to_string());
            }
        }
    }
    checked
}

/// Checks payment terms: 0–365 days.
pub fn check_terms(days: Option<i32>, errors: &mut FieldErrors) -> Option<i32> {
    if days.is_some_and(|days| !(0..=MAX_TERMS_DAYS).contains(&days)) {
        errors.add("payment_terms_days", format!("must be 0 to {MAX_TERMS_DAYS}"));
    }
    days
}

/// Checks a locale tag: a 2–3 letter language, optionally a 2-letter or 3-digit region
/// (`de`, `de-DE`, `es-419`); returned as `de-DE`.
pub fn check_locale(locale: Option<&str>, errors: &mut FieldErrors) -> Option<String> {
    let tag = locale.map(str::trim).filter(|tag| !tag.is_empty())?;
    let mut parts = tag.split(['-', '_']);
    let language = parts.next().unwrap_or_default();
    let region = parts.next();
    let language_ok = (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_alphabetic());
    let region_ok = region.is_none_or(|region| {
        (region.len() == 2 && region.bytes().all(|b| b.is_ascii_alphabetic()))
            || (region.len() == 3 && region.bytes().all(|b| b.is_ascii_digit()))
    });
    if !language_ok || !region_ok || parts.next().is_some() {
        errors.add("locale", "must be a language tag such as en, de-DE or es-419");
        return None;
    }
    let language = language.to_ascii_lowercase();
    Some(match region {
        Some(region) => format!("{language}-{}", region.to_ascii_uppercase()),
        None => language,
    })
}

#[cfg(test)]
mod tests {
    use baseops_core::FieldErrors;

    use super::{Address, check_address, check_locale};

    #[test]
    fn locales_and_addresses_are_normalized_or_refused() {
        let mut errors = FieldErrors::new();
        assert_eq!(check_locale(Some("de_de"), &mut errors).as_deref(), Some("de-DE"));
        assert_eq!(check_locale(Some("es-419"), &mut errors).as_deref(), Some("es-419"));
        assert_eq!(check_locale(Some(" "), &mut errors), None);
        assert!(errors.into_result().is_ok());
        for bad in ["d", "deutsch", "de-DEU", "de-DE-x", "1e"] {
            let mut errors = FieldErrors::new();
            check_locale(Some(bad), &mut errors);
            assert!(errors.into_result().is_err(), "{bad} was accepted");
        }
        let mut errors = FieldErrors::new();
        let address = Address {
            line1: " Hauptstr. 1 ".into(),
            line2: Some(String::new()),
            city: "Berlin".into(),
            postal_code: Some("10115".into()),
            region: None,
            country: "de".into(),
        };
        let checked = check_address("billing_address", address, &mut errors);
        assert!(errors.into_result().is_ok());
        assert_eq!(
            (checked.line1.as_str(), checked.line2, checked.country.as_str()),
            ("Hauptstr. 1", None, "DE")
        );
        let mut errors = FieldErrors::new();
        let bad = Address {
            line1: " ".into(),
            line2: None,
            city: "x".into(),
            postal_code: None,
            region: None,
            country: "Deutschland".into(),
        };
        check_address("billing_address", bad, &mut errors);
        let problem = format!("{:?}", errors.into_result().unwrap_err());
        assert!(
            problem.contains("billing_address.line1") && problem.contains("billing_address.country"),
            "{problem}"
        );
    }
}
