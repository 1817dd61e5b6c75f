//! A value that must never be printed or logged.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a masked secret shows instead of its value.
pub const MASK: &str = "********";

/// A secret string: `Debug`, `Display` and `Serialize` show only a mask.
///
/// The value is reachable only through [`Secret::expose`], so every place that
/// reads it is visible in a grep.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The secret value itself. Never log or return it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(MASK)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// Shows a database URL with its password masked (`postgres://app:********@db/app`).
pub fn masked_url(url: &Secret) -> String {
    match url::Url::parse(url.expose()) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // set_password only fails for URLs that cannot carry credentials.
            let _ = parsed.set_password(Some(MASK));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => MASK.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_shows_its_value() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{secret}"), MASK);
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_eq!(serde_json::to_string(&secret).unwrap(), format!("\"{MASK}\""));
        assert_eq!(secret.expose(), "hunter2-very-secret");
    }

    #[test]
    fn masked_url_hides_only_the_password() {
        let url = Secret::new("postgres://app:pa55@db.internal:5432/baseops");
        assert_eq!(masked_url(&url), "postgres://app:********@db.internal:5432/baseops");
        let sqlite = Secret::new("sqlite://data/baseops.db?mode=rwc");
        assert_eq!(masked_url(&sqlite), "sqlite://data/baseops.db?mode=rwc");
        assert_eq!(masked_url(&Secret::new("not a url")), MASK);
    }
}
