//! Parse, don't validate: the lead's contact fields and money become these types once, at
//! the edge (API input, a CSV row), and the services never see a raw string for them.

use std::str::FromStr;

/// An e-mail address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;

impl Email {
    /// Accepts `local@domain.tld` without spaces, control characters or a second `@`.
    ///
    /// # Errors
    /// A message for the field when it is not an e-mail address.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let text = text.trim();
        let invalid = "is not an e-mail address";
        if text.is_empty() || text.len() > MAX_EMAIL_LEN {
            return Err(invalid);
        }
        let (local, domain) = text.split_once('@').ok_or(invalid)?;
        let domain_ok = domain.len() >= 3
            && domain.contains('.')
            && !domain.starts_with(['.', '-'])
            && !domain.ends_with(['.', '-'])
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[]\\,;:\"".contains(c));
        if domain_ok && local_ok { Ok(Self(text.to_lowercase())) } else { Err(invalid) }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A phone number: E.164 (`+4930123456`) when it is a valid number, read in the default
/// region unless it starts with `+`; otherwise its digits as given (a `+` kept), so that a
/// number the metadata does not know is still stored and de-duplicated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// Longest phone number stored.
pub const MAX_PHONE_LEN: usize = 32;

impl Phone {
    /// Normalizes `text`, reading numbers without `+country` in `region` (`US`, `DE`).
    ///
    /// # Errors
    /// A message when `text` has letters other than an extension, or too few or too many digits.
    pub fn parse(text: &str, region: &str) -> Result<Self, &'static str> {
        let text = text.trim();
        let invalid = "is not a phone number";
        if text.is_empty() || text.len() > 64 {
            return Err(invalid);
        }
        let allowed = |c: char| c.is_ascii_digit() || " +-().-/".contains(c);
        if !text.chars().all(allowed) {
            return Err(invalid);
        }
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        if !(5..=20).contains(&digits.len()) {
            return Err(invalid);
        }
        let country = phonenumber::country::Id::from_str(region).ok();
        if let Ok(number) = phonenumber::parse(country, text)
            && phonenumber::is_valid(&number)
        {
            return Ok(Self(number.format().mode(phonenumber::Mode::E164).to_string()));
        }
        let plus = if text.starts_with('+') { "+" } else { "" };
        Ok(Self(format!("{plus}{digits}")))
    }

    /// The normalized number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalized number, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A website: `http(s)://host…`; a bare host gets `https://`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Website(String);

/// Longest website URL.
pub const MAX_WEBSITE_LEN: usize = 500;

impl Website {
    /// Accepts `example.com`, `https://example.com/path`.
    ///
    /// # Errors
    /// A message when it is not a web address.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let text = text.trim();
        let invalid = "is not a web address";
        let lower = text.to_ascii_lowercase();
        let url = if lower.starts_with("http://") || lower.starts_with("https://") {
            text.to_owned()
        } else {
            format!("https://{text}")
        };
        let host = url.split_once("://").map(|(_, rest)| rest).unwrap_or("").split(['/', '?', '#']).next();
        let host_ok = host.is_some_and(|host| {
            host.contains('.')
                && !host.starts_with('.')
                && host.chars().all(|c| c.is_alphanumeric() || ".-:".contains(c))
        });
        if url.len() > MAX_WEBSITE_LEN || !host_ok || url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid);
        }
        Ok(Self(url))
    }

    /// The URL.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An ISO 4217 currency code (three upper-case letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Accepts `EUR`, `usd` (upper-cased).
    ///
    /// # Errors
    /// A message when it is not three letters.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let upper = text.trim().to_ascii_uppercase();
        match upper.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|byte| byte.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err("is not a three-letter ISO 4217 currency code"),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point (ISO 4217 minor unit): 0 for JPY, 3 for KWD, else 2.
    pub fn minor_digits(&self) -> u32 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI"
            | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }

    /// Reads a decimal amount (`1234.5`, `1,234.50`, `$1 234`) in this currency's minor units.
    ///
    /// # Errors
    /// A message when it is not a non-negative amount with at most the currency's decimals.
    pub fn parse_amount(&self, text: &str) -> Result<i64, &'static str> {
        let invalid = "is not an amount (digits, at most the currency's decimals)";
        let cleaned: String = text
            .trim()
            .trim_start_matches(|c: char| !c.is_ascii_digit() && c != '.' && c != '-')
            .chars()
            .filter(|c| !matches!(c, ',' | ' ' | '\u{a0}' | '_' | '\''))
            .collect();
        if cleaned.starts_with('-') {
            return Err("must not be negative");
        }
        let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let digits = self.minor_digits() as usize;
        let valid = !whole.is_empty()
            && whole.len() <= 15
            && whole.chars().all(|c| c.is_ascii_digit())
            && fraction.len() <= digits
            && fraction.chars().all(|c| c.is_ascii_digit());
        if !valid {
            return Err(invalid);
        }
        let whole: i64 = whole.parse().map_err(|_| invalid)?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<digits$}").parse().map_err(|_| invalid)?
        };
        whole
            .checked_mul(10_i64.pow(digits as u32))
            .and_then(|minor| minor.checked_add(fraction))
            .ok_or(invalid)
    }

    /// Writes minor units back as a decimal (`123450` EUR → `1234.50`).
    pub fn format_amount(&self, minor: i64) -> String {
        let digits = self.minor_digits();
        if digits == 0 {
            return minor.to_string();
        }
        let unit = 10_i64.pow(digits);
        format!("{}.{:0width$}", minor / unit, (minor % unit).abs(), width = digits as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(Email::parse(" Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in
            ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "ada@@x.com", "ada@x..com"]
        {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_become_e164_where_possible() {
        assert_eq!(Phone::parse("(201) 555-0123", "US").unwrap().as_str(), "+12015550123");
        assert_eq!(Phone::parse("030 1234567", "DE").unwrap().as_str(), "+49301234567");
        assert_eq!(Phone::parse("+49 30 1234567", "US").unwrap().as_str(), "+49301234567");
        // Unknown to the metadata: digits kept, so duplicates still match.
        assert_eq!(Phone::parse("+999 1234 5678", "US").unwrap().as_str(), "+99912345678");
        assert!(Phone::parse("call me", "US").is_err());
        assert!(Phone::parse("123", "US").is_err());
    }

    #[test]
    fn amounts_use_the_currency_minor_unit() {
        let eur = Currency::parse("eur").unwrap();
        assert_eq!(eur.parse_amount("1,234.5").unwrap(), 123_450);
        assert_eq!(eur.parse_amount("€ 99").unwrap(), 9_900);
        assert!(eur.parse_amount("1.234").is_err());
        assert!(eur.parse_amount("-5").is_err());
        assert_eq!(eur.format_amount(123_450), "1234.50");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.parse_amount("5000").unwrap(), 5000);
        assert!(jpy.parse_amount("50.5").is_err());
        assert!(Currency::parse("EURO").is_err());
    }

    #[test]
    fn websites_get_a_scheme() {
        assert_eq!(Website::parse("example.com").unwrap().into_inner(), "https://example.com");
        assert!(Website::parse("not a site").is_err());
    }
}
