//! An e-mail address, parsed once at the edge: the rest of the code holds an [`Email`] and
//! never a string that might not be one.
//!
//! See [`Email`] for the rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

/// A valid e-mail address in its stored form: trimmed and lower-cased.
///
/// The rules are the stricter of the two the users and leads apps had before they shared this
/// type, so anything either refused is still refused:
///
/// - surrounding white space is trimmed;
/// - at most 254 bytes in all (RFC 5321's path limit, in UTF-8 octets) and 64 before the `@`;
/// - exactly one `@`;
/// - the local part is ASCII letters, digits and ``!#$%&'*+-/=?^_`{|}~``, non-ASCII letters and
///   digits (RFC 6531), and dots that neither start nor end it nor come in pairs. Quoted local
///   parts (`"john doe"@example.com`) are refused: nobody we mail has one, and they are how
///   spaces, `<` and `;` would sneak into a header;
/// - the domain is at least two dot-separated labels of letters (Unicode allowed, for
///   internationalized domains), digits and hyphens, each 1–63 bytes without a hyphen at
///   either end, and a top-level label that is not all digits — a bare IP address is not a
///   mail domain (its literal form, `[192.0.2.1]`, is refused too).
///
/// The stored form is lower-cased **as a whole**, local part included. RFC 5321 lets a server
/// treat `Ada@` and `ada@` as different mailboxes, but no mainstream provider does, and both
/// apps already stored lower-cased addresses: users log in and are looked up case-insensitively
/// and leads are de-duplicated by address, which only works when one mailbox has one spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

/// Why a text is not an [`Email`]. Its `Display` is the message for a field error, written to
/// follow the field's name: "email is not an e-mail address".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing but white space.
    #[error("is required")]
    Empty,
    /// Longer than [`Email::MAX_LEN`] bytes.
    #[error("is longer than 254 characters")]
    TooLong,
    /// More than [`Email::MAX_LOCAL_LEN`] bytes before the `@`.
    #[error("has more than 64 characters before the @")]
    LocalPartTooLong,
    /// Anything else: no `@` or two, a space, a bad character, a domain without a dot…
    #[error("is not an e-mail address")]
    Invalid,
}

/// Characters of RFC 5322's `atext` besides letters and digits.
const ATEXT_SYMBOLS: &str = "!#$%&'*+-/=?^_`{|}~";

impl Email {
    /// Longest address, in bytes (RFC 5321: a 256-octet path less its angle brackets).
    pub const MAX_LEN: usize = 254;
    /// Longest local part (before the `@`), in bytes (RFC 5321).
    pub const MAX_LOCAL_LEN: usize = 64;
    /// Longest domain label, in bytes (RFC 1035).
    const MAX_LABEL_LEN: usize = 63;

    /// Parses and normalizes an address; see [`Email`] for the rules.
    ///
    /// ```
    /// # use baseops_core::Email;
    /// assert_eq!(Email::parse("  Ada.King+ops@Example.COM ").unwrap().as_str(), "ada.king+ops@example.com");
    /// assert!(Email::parse("ada@localhost").is_err());
    /// ```
    ///
    /// # Errors
    /// [`EmailError`], whose message suits a field error.
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(EmailError::Empty);
        }
        // Lower-casing can change the length (`İ` becomes two characters), so the limits are
        // checked on what is stored.
        let email = text.to_lowercase();
        if email.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let mut parts = email.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::Invalid);
        };
        if local.len() > Self::MAX_LOCAL_LEN {
            return Err(EmailError::LocalPartTooLong);
        }
        if valid_local_part(local) && valid_domain(domain) {
            Ok(Self(email))
        } else {
            Err(EmailError::Invalid)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address, owned.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(local, _)| local)
    }

    /// The part after the `@` (for suppression lists and per-domain rules).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

fn valid_local_part(local: &str) -> bool {
    !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || c == '.'
                || ATEXT_SYMBOLS.contains(c)
                || (!c.is_ascii() && c.is_alphanumeric())
        })
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let top_level_ok = labels.last().is_some_and(|top| !top.chars().all(|c| c.is_ascii_digit()));
    labels.len() >= 2
        && top_level_ok
        && labels.iter().all(|label| {
            (1..=Email::MAX_LABEL_LEN).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

impl fmt::Display for Email {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl FromStr for Email {
    type Err = EmailError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Parses, so that a request body with a bad address is refused by the extractor — a 422
/// whose field is the address's JSON path and whose message is the [`EmailError`]'s.
impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .max_length(Some(Self::MAX_LEN))
            .description(Some("An e-mail address; stored and answered lower-case."))
            .examples(["ada@example.com"])
            .into()
    }
}

impl ToSchema for Email {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        let email = Email::parse("  Jane.Doe+ops@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "jane.doe+ops@example.com");
        assert_eq!((email.local_part(), email.domain()), ("jane.doe+ops", "example.com"));
        assert_eq!(Email::parse("élodie@exemple.fr").unwrap().as_str(), "élodie@exemple.fr");
        assert_eq!(Email::parse("ÉLODIE@BÜCHER.DE").unwrap().as_str(), "élodie@bücher.de");
        assert_eq!(Email::parse("o'brien@example.co.uk").unwrap().as_str(), "o'brien@example.co.uk");
        assert_eq!(Email::parse("a@b.co").unwrap().to_string(), "a@b.co");
    }

    #[test]
    fn what_either_app_refused_is_refused() {
        // From the users app's tests and the leads app's tests.
        for bad in [
            "plain",
            "a@b",
            "a@@b.co",
            "a b@c.co",
            ".a@b.co",
            "a.@b.co",
            "a..b@c.co",
            "a@-b.co",
            "a@b-.co",
            "a@b.co'--",
            "<script>@x.co",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@x..com",
            "ada@.x.com",
            "ada@x.com.",
            "ada@x.-b.com",
            "a\u{0}b@x.com",
            "a\tb@x.com",
            "a\"b@x.com",
            "\"john doe\"@x.com",
            "a;b@x.com",
            "a@[192.0.2.1]",
            "a@192.0.2.1",
            "a€b@x.com",
            "a@x_y.com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invalid), "{bad:?}");
        }
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
    }

    #[test]
    fn lengths_follow_rfc_5321() {
        let local = "a".repeat(64);
        let domain = format!("{}.{}.{}", "b".repeat(63), "c".repeat(63), "d".repeat(61));
        let longest = format!("{local}@{domain}");
        assert_eq!(longest.len(), 254);
        assert!(Email::parse(&longest).is_ok());
        assert_eq!(Email::parse(&format!("{longest}x")), Err(EmailError::TooLong));
        assert_eq!(
            Email::parse(&format!("{}@example.com", "a".repeat(65))),
            Err(EmailError::LocalPartTooLong)
        );
        assert_eq!(Email::parse(&format!("a@{}.com", "b".repeat(64))), Err(EmailError::Invalid));
    }

    #[test]
    fn messages_read_as_field_errors() {
        assert_eq!(EmailError::Invalid.to_string(), "is not an e-mail address");
        assert_eq!(EmailError::TooLong.to_string(), "is longer than 254 characters");
        assert_eq!(EmailError::Empty.to_string(), "is required");
    }

    #[test]
    fn serde_writes_the_string_and_reads_through_parse() {
        let email: Email = serde_json::from_str(r#"" Ada@Example.com""#).unwrap();
        assert_eq!(serde_json::to_string(&email).unwrap(), r#""ada@example.com""#);
        let error = serde_json::from_str::<Email>(r#""not an address""#).unwrap_err();
        assert!(error.to_string().starts_with("is not an e-mail address"), "{error}");
    }

    #[test]
    fn the_schema_is_a_string_in_email_format() {
        let schema = serde_json::to_value(Email::schema()).unwrap();
        assert_eq!((schema["type"].as_str(), schema["format"].as_str()), (Some("string"), Some("email")));
        assert_eq!(Email::name(), "Email");
    }
}
