//! Parse, don't validate: the lead's contact fields and money become these types once, at
//! the edge (API input, a CSV row), and the services never see a raw string for them.
//! E-mail addresses, currencies and amounts are the platform's [`baseops_core::Email`],
//! [`Currency`] and [`Money`]; what is the leads app's own is here.

use std::str::FromStr;

use baseops_core::{Currency, Money, MoneyError};

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

/// Reads a spreadsheet's amount (`1234.5`, `1,234.50`, `€ 99`, `$1 234`) as money in
/// `currency`: a currency sign in front and group separators (`,`, spaces, `_`, `'`) are
/// dropped, then the rest must be a plain decimal with at most the currency's decimal places
/// ([`Money::parse_decimal`]) — so `1.234` EUR is refused, never rounded. A CSV export writes
/// amounts this reads back.
///
/// # Errors
/// A message for the cell when it is negative, not an amount, too precise or too large.
pub fn parse_amount(text: &str, currency: Currency) -> Result<Money, String> {
    let cleaned: String = text
        .trim()
        .trim_start_matches(|c: char| !c.is_ascii_digit() && c != '.' && c != '-')
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '\u{a0}' | '_' | '\''))
        .collect();
    if cleaned.starts_with('-') {
        return Err("must not be negative".to_owned());
    }
    // Spreadsheets write `12.` now and then; it means 12.
    let cleaned = cleaned.strip_suffix('.').unwrap_or(&cleaned);
    Money::parse_decimal(cleaned, currency).map_err(|error| match error {
        MoneyError::NotADecimal => "is not an amount (digits, at most the currency's decimals)".to_owned(),
        error => error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn spreadsheet_amounts_use_the_currency_minor_unit() {
        let amount = |text: &str, code: &str| {
            parse_amount(text, Currency::parse(code).unwrap()).map(|money| money.amount_minor())
        };
        assert_eq!(amount("1,234.5", "eur"), Ok(123_450));
        assert_eq!(amount("€ 99", "EUR"), Ok(9_900));
        assert_eq!(amount("$1 234", "USD"), Ok(123_400));
        assert_eq!(amount("12.", "EUR"), Ok(1_200));
        assert_eq!(amount("1.5", "KWD"), Ok(1_500));
        assert_eq!(amount("5000", "JPY"), Ok(5000));
        assert!(amount("1.234", "EUR").is_err());
        assert!(amount("50.5", "JPY").is_err());
        assert!(amount("abc", "EUR").is_err());
        assert!(amount("99999999999999999", "EUR").is_err());
        assert_eq!(amount("-5", "EUR"), Err("must not be negative".to_owned()));
    }

    #[test]
    fn websites_get_a_scheme() {
        assert_eq!(Website::parse("example.com").unwrap().into_inner(), "https://example.com");
        assert!(Website::parse("not a site").is_err());
    }
}
