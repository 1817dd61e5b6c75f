//! Tax id formats of the common schemes, checked by shape (and checksum where the scheme has
//! a simple one), as Stripe's `tax_id` types name them. A format check catches typos; whether
//! the number is registered is a question for the tax authority (VIES for EU VAT).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A tax id scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxIdKind {
    /// EU VAT number with its country prefix (`DE123456789`, `FRXX123456789`).
    EuVat,
    /// United Kingdom VAT (`GB123456789`).
    GbVat,
    /// Swiss UID for VAT (`CHE-123.456.789 MWST`).
    ChVat,
    /// Norwegian VAT (`123456789MVA`).
    NoVat,
    /// US Employer Identification Number (`12-3456789`).
    UsEin,
    /// Australian Business Number (11 digits, checksum).
    AuAbn,
    /// Canadian Business Number (`123456789` or `123456789RT0001`).
    CaBn,
    /// Indian GSTIN (15 characters).
    InGst,
    /// Anything else, 1–40 printable characters, unchecked.
    Other,
}

fn digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn alnum(text: &str, range: std::ops::RangeInclusive<usize>) -> bool {
    range.contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

/// The number without spaces, dots and dashes, upper case.
fn compact(value: &str) -> String {
    value.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).flat_map(char::to_uppercase).collect()
}

/// The national part of an EU VAT number is the right shape for its country.
fn eu_vat(number: &str) -> bool {
    let (Some(country), Some(rest)) = (number.get(..2), number.get(2..)) else { return false };
    match country {
        "AT" => rest.len() == 9 && rest.starts_with('U') && digits(&rest[1..], 8),
        "BE" => digits(rest, 10) && matches!(rest.as_bytes()[0], b'0' | b'1'),
        "BG" => digits(rest, 9) || digits(rest, 10),
        "CY" => rest.len() == 9 && digits(&rest[..8], 8) && rest.as_bytes()[8].is_ascii_uppercase(),
        "CZ" => (8..=10).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit()),
        "DE" | "EE" | "EL" | "PT" => digits(rest, 9),
        "DK" | "FI" | "HU" | "LU" | "MT" | "SI" => digits(rest, 8),
        "ES" => rest.len() == 9 && alnum(rest, 9..=9) && digits(&rest[1..8], 7),
        "FR" => rest.len() == 11 && alnum(&rest[..2], 2..=2) && digits(&rest[2..], 9),
        "HR" | "IT" | "LV" => digits(rest, 11),
        "IE" => (8..=9).contains(&rest.len()) && alnum(rest, 8..=9) && digits(&rest[1..7], 6),
        "LT" => digits(rest, 9) || digits(rest, 12),
        "NL" => rest.len() == 12 && digits(&rest[..9], 9) && &rest[9..10] == "B" && digits(&rest[10..], 2),
        "PL" | "SK" => digits(rest, 10),
        "RO" => (2..=10).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit()),
        "SE" => digits(rest, 12) && rest.ends_with("01"),
        "XI" => gb_national(rest),
        _ => false,
    }
}

fn gb_national(rest: &str) -> bool {
    digits(rest, 9)
        || digits(rest, 12)
        || (rest.len() == 5 && (rest.starts_with("GD") || rest.starts_with("HA")) && digits(&rest[2..], 3))
}

/// The ABN checksum: subtract 1 from the first digit, weigh, and the sum divides by 89.
fn abn(number: &str) -> bool {
    const WEIGHTS: [u32; 11] = [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
    if !digits(number, 11) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .zip(WEIGHTS)
        .enumerate()
        .map(|(index, (byte, weight))| {
            let digit = u32::from(byte - b'0');
            (if index == 0 { digit.wrapping_sub(1) } else { digit }) * weight
        })
        .sum();
    number.as_bytes()[0] != b'0' && sum.is_multiple_of(89)
}

impl TaxIdKind {
    /// The value in its canonical form, or what it should look like.
    ///
    /// # Errors
    /// A description of the expected format.
    pub fn normalize(self, value: &str) -> Result<String, &'static str> {
        let value = value.trim();
        if value.is_empty() || value.chars().count() > 40 || value.chars().any(char::is_control) {
            return Err("must be 1 to 40 printable characters");
        }
        if self == Self::Other {
            return Ok(value.to_owned());
        }
        let number = compact(value);
        // Every scheme below is ASCII; checking it first also keeps byte slicing on char
        // boundaries.
        let ok = number.is_ascii()
            && match self {
                Self::EuVat => eu_vat(&number),
                Self::GbVat => number.strip_prefix("GB").is_some_and(gb_national),
                Self::ChVat => {
                    let core =
                        number.trim_end_matches("MWST").trim_end_matches("TVA").trim_end_matches("IVA");
                    core.strip_prefix("CHE").is_some_and(|rest| digits(rest, 9))
                }
                Self::NoVat => number.strip_suffix("MVA").is_some_and(|rest| digits(rest, 9)),
                Self::UsEin => digits(&number, 9),
                Self::AuAbn => abn(&number),
                Self::CaBn => {
                    digits(&number, 9)
                        || (number.len() == 15 && digits(&number[..9], 9) && alnum(&number[9..], 6..=6))
                }
                Self::InGst => {
                    number.len() == 15
                        && digits(&number[..2], 2)
                        && alnum(&number, 15..=15)
                        && number.as_bytes()[13] == b'Z'
                }
                Self::Other => true,
            };
        if ok {
            Ok(number)
        } else {
            Err(match self {
                Self::EuVat => {
                    "is not an EU VAT number: a country prefix (DE, FR, NL, …) and its national format"
                }
                Self::GbVat => "is not a UK VAT number: GB and 9 or 12 digits",
                Self::ChVat => "is not a Swiss UID: CHE-123.456.789 MWST",
                Self::NoVat => "is not a Norwegian VAT number: 9 digits and MVA",
                Self::UsEin => "is not an EIN: 12-3456789",
                Self::AuAbn => "is not an ABN: 11 digits with a valid checksum",
                Self::CaBn => "is not a Canadian BN: 9 digits, optionally a program account (RT0001)",
                Self::InGst => "is not a GSTIN: 15 characters",
                Self::Other => "is not valid",
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TaxIdKind::{self, *};

    #[test]
    fn common_schemes_are_checked_and_normalized() {
        let good: [(TaxIdKind, &str, &str); 12] = [
            (EuVat, "DE 123 456 789", "DE123456789"),
            (EuVat, "fr44732829320", "FR44732829320"),
            (EuVat, "NL123456789B01", "NL123456789B01"),
            (EuVat, "ATU12345678", "ATU12345678"),
            (EuVat, "ESX1234567X", "ESX1234567X"),
            (EuVat, "BE0123456789", "BE0123456789"),
            (GbVat, "GB 123 4567 89", "GB123456789"),
            (ChVat, "CHE-123.456.789 MWST", "CHE123456789MWST"),
            (NoVat, "123456789MVA", "123456789MVA"),
            (UsEin, "12-3456789", "123456789"),
            (AuAbn, "51 824 753 556", "51824753556"),
            (InGst, "27AAPFU0939F1ZV", "27AAPFU0939F1ZV"),
        ];
        for (kind, value, normalized) in good {
            assert_eq!(kind.normalize(value).as_deref(), Ok(normalized), "{kind:?} {value}");
        }
        let bad: [(TaxIdKind, &str); 9] = [
            (EuVat, "DE12345678"),
            (EuVat, "US123456789"),
            (EuVat, "NL123456789X01"),
            (EuVat, ""),
            (GbVat, "123456789"),
            (AuAbn, "51 824 753 557"),
            (UsEin, "12-345678"),
            (InGst, "27AAPFU0939F1XV"),
            (Other, "a\u{0}b"),
        ];
        assert!(EuVat.normalize("DEÜ2345678").is_err() && AuAbn.normalize("ÄÖÜ").is_err());
        for (kind, value) in bad {
            assert!(kind.normalize(value).is_err(), "{kind:?} {value:?} was accepted");
        }
    }
}
