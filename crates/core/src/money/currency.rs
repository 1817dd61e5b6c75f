//! ISO 4217 currencies and their minor units, from a table compiled into the binary.
//!
//! The table is ISO 4217 List One (current currency and funds codes, as kept by the
//! maintenance agency SIX) as of 2026. It holds every code with a minor unit — national
//! currencies and the funds codes (`CLF`, `UYW`, `BOV`, `CHE`, `CHW`, `COU`, `MXV`, `USN`,
//! `UYI`) — and leaves out the codes whose minor unit is "N.A.": precious metals (`XAU`,
//! `XAG`, `XPD`, `XPT`), units of account (`XDR`, `XSU`, `XUA`, `XBA`–`XBD`, `XAD`), the
//! testing code `XTS` and "no currency" `XXX`. Nobody is invoiced in them and an amount in
//! them has no decimal places to speak of.
//!
//! Withdrawn codes are refused: `HRK` (euro since 2023), `ZWL` (`ZWG` since 2024), `ANG`
//! (`XCG` since 2025), `BGN` (euro since 2026), `SLL` (`SLE`), `CUC`, and older ones such as
//! `VEF`, `MRO` and `STD`. Records stored with one keep it — the database holds the code as
//! text — but new input must name a current currency. When ISO amends the list, edit the
//! table; the tests check that it stays sorted and well-formed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// Every currency: its code and its exponent (the number of decimal places of its minor unit:
/// 2 for EUR cents, 0 for JPY, 3 for KWD fils, 4 for the Chilean CLF). Sorted by code, for a
/// binary search.
#[rustfmt::skip]
const CURRENCIES: [(&str, u8); 164] = [
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("AOA", 2), ("ARS", 2), ("AUD", 2), ("AWG", 2),
    ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BHD", 3), ("BIF", 0), ("BMD", 2), ("BND", 2),
    ("BOB", 2), ("BOV", 2), ("BRL", 2), ("BSD", 2), ("BTN", 2), ("BWP", 2), ("BYN", 2), ("BZD", 2),
    ("CAD", 2), ("CDF", 2), ("CHE", 2), ("CHF", 2), ("CHW", 2), ("CLF", 4), ("CLP", 0), ("CNY", 2),
    ("COP", 2), ("COU", 2), ("CRC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0), ("DKK", 2),
    ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2), ("EUR", 2), ("FJD", 2), ("FKP", 2),
    ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2), ("GNF", 0), ("GTQ", 2), ("GYD", 2),
    ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2), ("IQD", 3),
    ("IRR", 2), ("ISK", 0), ("JMD", 2), ("JOD", 3), ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2),
    ("KMF", 0), ("KPW", 2), ("KRW", 0), ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2),
    ("LKR", 2), ("LRD", 2), ("LSL", 2), ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2),
    ("MMK", 2), ("MNT", 2), ("MOP", 2), ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2),
    ("MXV", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2), ("NGN", 2), ("NIO", 2), ("NOK", 2), ("NPR", 2),
    ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2),
    ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2), ("RWF", 0), ("SAR", 2), ("SBD", 2),
    ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2), ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2),
    ("SSP", 2), ("STN", 2), ("SVC", 2), ("SYP", 2), ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2),
    ("TND", 3), ("TOP", 2), ("TRY", 2), ("TTD", 2), ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0),
    ("USD", 2), ("USN", 2), ("UYI", 0), ("UYU", 2), ("UYW", 4), ("UZS", 2), ("VED", 2), ("VES", 2),
    ("VND", 0), ("VUV", 0), ("WST", 2), ("XAF", 0), ("XCD", 2), ("XCG", 2), ("XOF", 0), ("XPF", 0),
    ("YER", 2), ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

// A `Currency` is its row's index in one byte.
const _: () = assert!(CURRENCIES.len() <= 256);

/// A current ISO 4217 currency with a minor unit: the national currencies and funds codes of
/// ISO 4217 List One (as of 2026), without the precious metals, units of account and the
/// `XTS`/`XXX` codes, which have no minor unit. Withdrawn codes (`HRK`, `ZWL`, `ANG`, `BGN`, …)
/// are refused.
///
/// Only [`Currency::parse`] (and serde, through it) makes one, so holding a `Currency` means
/// holding a code from the table, with its exponent. In JSON it is the upper-case code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(u8);

/// Why a text is not a [`Currency`]. Its `Display` is the message for a field error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    /// Not three ASCII letters.
    #[error("is not a three-letter ISO 4217 currency code")]
    Malformed,
    /// Three letters, but not a current ISO 4217 code.
    #[error("is not a current ISO 4217 currency code")]
    Unknown,
}

impl Currency {
    /// Reads a code in any case, white space around it ignored: `EUR`, `eur`, ` Jpy `.
    ///
    /// # Errors
    /// [`CurrencyError::Malformed`] unless three ASCII letters; [`CurrencyError::Unknown`] for
    /// a code not in the table (withdrawn, never assigned, or without a minor unit).
    pub fn parse(text: &str) -> Result<Self, CurrencyError> {
        let code = text.trim().to_ascii_uppercase();
        if code.len() != 3 || !code.bytes().all(|byte| byte.is_ascii_uppercase()) {
            return Err(CurrencyError::Malformed);
        }
        let index = CURRENCIES.binary_search_by(|(known, _)| (*known).cmp(code.as_str()));
        // Lossless: the table is checked at compile time to have at most 256 rows.
        index.map(|index| Self(index as u8)).map_err(|_| CurrencyError::Unknown)
    }

    /// The upper-case code, `EUR`.
    pub fn code(self) -> &'static str {
        CURRENCIES[usize::from(self.0)].0
    }

    /// The number of decimal places of the minor unit: 2 for EUR, 0 for JPY, 3 for KWD, 4 for
    /// CLF.
    pub fn exponent(self) -> u32 {
        u32::from(CURRENCIES[usize::from(self.0)].1)
    }

    /// Minor units in one major unit: `10^exponent` (100 for EUR, 1 for JPY).
    pub fn minor_per_major(self) -> i64 {
        10_i64.pow(self.exponent())
    }

    /// Every currency in the table, by code.
    pub fn all() -> impl ExactSizeIterator<Item = Self> {
        // Lossless: the table is checked at compile time to have at most 256 rows.
        (0..CURRENCIES.len()).map(|index| Self(index as u8))
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Currency({})", self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// Parses, so that an unknown code in a request body is a 422 on that field.
impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl PartialSchema for Currency {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(CURRENCIES.iter().map(|(code, _)| *code)))
            .description(Some("A current ISO 4217 currency code; read in any case, answered upper-case."))
            .examples(["EUR"])
            .into()
    }
}

impl ToSchema for Currency {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_unique_and_well_formed() {
        assert!(CURRENCIES.windows(2).all(|pair| pair[0].0 < pair[1].0), "sorted, no duplicates");
        for (code, exponent) in CURRENCIES {
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
            assert!(matches!(exponent, 0 | 2 | 3 | 4), "{code} {exponent}");
        }
        assert_eq!(Currency::all().len(), CURRENCIES.len());
        assert!(Currency::all().all(|currency| Currency::parse(currency.code()) == Ok(currency)));
    }

    #[test]
    fn exponents_follow_iso_4217() {
        for (code, exponent) in [
            ("EUR", 2),
            ("USD", 2),
            ("JPY", 0),
            ("KRW", 0),
            ("ISK", 0),
            ("XOF", 0),
            ("KWD", 3),
            ("BHD", 3),
            ("TND", 3),
            ("CLF", 4),
            ("UYW", 4),
            ("MGA", 2),
            ("ZWG", 2),
            ("XCG", 2),
            ("VED", 2),
        ] {
            assert_eq!(Currency::parse(code).map(Currency::exponent), Ok(exponent), "{code}");
        }
        assert_eq!(Currency::parse("KWD").unwrap().minor_per_major(), 1000);
    }

    #[test]
    fn codes_are_read_in_any_case_and_answered_upper_case() {
        let eur = Currency::parse(" eur ").unwrap();
        assert_eq!((eur.code(), eur.to_string()), ("EUR", "EUR".to_owned()));
        assert_eq!("Jpy".parse::<Currency>().unwrap().code(), "JPY");
        assert_eq!(format!("{eur:?}"), "Currency(EUR)");
    }

    #[test]
    fn unknown_and_malformed_codes_are_refused() {
        for unknown in ["ABC", "HRK", "ZWL", "VEF", "MRO", "XTS", "XXX", "XAU", "XDR"] {
            assert_eq!(Currency::parse(unknown), Err(CurrencyError::Unknown), "{unknown}");
        }
        for malformed in ["", "EU", "EURO", "E1R", "€UR", "E R"] {
            assert_eq!(Currency::parse(malformed), Err(CurrencyError::Malformed), "{malformed}");
        }
    }

    #[test]
    fn serde_uses_the_code() {
        let currency: Currency = serde_json::from_str(r#""kwd""#).unwrap();
        assert_eq!(serde_json::to_string(&currency).unwrap(), r#""KWD""#);
        let error = serde_json::from_str::<Currency>(r#""EURO""#).unwrap_err();
        assert!(error.to_string().starts_with("is not a three-letter ISO 4217 currency code"), "{error}");
        let schema = serde_json::to_value(Currency::schema()).unwrap();
        assert_eq!(schema["type"], "string");
    }
}
