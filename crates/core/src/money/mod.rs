//! Money: an integer number of minor units of a [`Currency`], never a float.
//!
//! `12.34 EUR` is `Money { amount_minor: 1234, currency: EUR }`; `1200 JPY` is `1200` (the yen
//! has no minor unit); `1.500 KWD` is `1500` (three decimals). Every operation is checked:
//! amounts of different currencies never mix, and a result beyond [`Money::MAX_AMOUNT`] is an
//! error rather than an overflow, so an API can answer 422 instead of 500 or a wrong total.
//! Decimal text is read and written with exactly the currency's decimal places, never rounded
//! on the way in; rounding happens only where the maths needs it, through [`divide_rounded`]
//! and [`Money::scaled`] with an explicit [`RoundingMode`].

mod currency;
mod rounding;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

pub use currency::{Currency, CurrencyError};
pub use rounding::{RoundingMode, divide_rounded};

/// An amount of money in one currency, within ±[`Money::MAX_AMOUNT`] minor units: `12.34 EUR`
/// is 1234 minor units of EUR, `1200 JPY` is 1200 (the yen has no minor unit), `1.500 KWD` is
/// 1500. Never a float. Arithmetic is checked ([`Money::checked_add`] and friends), and
/// rounding happens only where asked, with a [`RoundingMode`] ([`Money::scaled`]).
///
/// In JSON: `{"amount_minor": 1234, "currency": "EUR"}`. Reading it checks the code and the
/// range, so a bad value in a request body is a 422 on `….amount_minor` or `….currency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub struct Money {
    /// The amount in minor units of `currency` (cents for EUR, yen for JPY), from −10^15 to
    /// 10^15.
    #[schema(minimum = -1_000_000_000_000_000_i64, maximum = 1_000_000_000_000_000_i64, example = 1234)]
    amount_minor: i64,
    /// The ISO 4217 currency code.
    currency: Currency,
}

/// Why money could not be made or computed. Its `Display` is the message for a field error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Beyond ±[`Money::MAX_AMOUNT`] minor units.
    #[error("must be between -1000000000000000 and 1000000000000000 minor units")]
    OutOfRange,
    /// An operation on two amounts of different currencies.
    #[error("mixes {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    /// Decimal text that is not `-?digits(.digits)?`.
    #[error("is not a decimal amount such as 12.34")]
    NotADecimal,
    /// Decimal text with more decimal places than the currency has.
    #[error("has more decimal places than {} allows ({})", .0.code(), .0.exponent())]
    TooPrecise(Currency),
    /// A division by zero in [`Money::scaled`].
    #[error("is divided by zero")]
    DivisionByZero,
}

impl Money {
    /// The largest amount, in minor units: 10^15, so ±10 trillion EUR or ±1 trillion KWD.
    ///
    /// Far beyond any invoice, and chosen so that an amount is exact as a JSON number even
    /// for JavaScript clients (doubles are exact up to 2^53 ≈ 9·10^15), and so that the sum of
    /// over 9,000 maximal amounts still fits the `i64` (`BIGINT`) a database `SUM` returns.
    pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

    /// `amount_minor` minor units of `currency`.
    ///
    /// # Errors
    /// [`MoneyError::OutOfRange`] beyond ±[`Money::MAX_AMOUNT`].
    pub fn new(amount_minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if (-Self::MAX_AMOUNT..=Self::MAX_AMOUNT).contains(&amount_minor) {
            Ok(Self { amount_minor, currency })
        } else {
            Err(MoneyError::OutOfRange)
        }
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self { amount_minor: 0, currency }
    }

    /// The amount in minor units.
    pub fn amount_minor(self) -> i64 {
        self.amount_minor
    }

    /// The currency.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Whether the amount is zero.
    pub fn is_zero(self) -> bool {
        self.amount_minor == 0
    }

    /// Whether the amount is below zero (a refund, a credit).
    pub fn is_negative(self) -> bool {
        self.amount_minor < 0
    }

    /// Reads an amount in major units, with at most the currency's decimal places:
    /// `12.34` EUR → 1234, `12.3` → 1230, `12` → 1200, `-0.5` → −50, `1200` JPY → 1200,
    /// `1.5` KWD → 1500. White space around it is ignored.
    ///
    /// Nothing is rounded and nothing is guessed: `12.345` EUR (a third decimal), `12.5` JPY,
    /// `1,000` and `1 000` (group separators — is the comma a decimal point?), `+5`, `.5`,
    /// `5.`, `1e3` and currency symbols are errors. Callers that accept looser input, such as
    /// a spreadsheet import, clean it first and then call this.
    ///
    /// # Errors
    /// [`MoneyError::NotADecimal`], [`MoneyError::TooPrecise`], [`MoneyError::OutOfRange`].
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let text = text.trim();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
            Some(_) => return Err(MoneyError::NotADecimal),
            None => (unsigned, ""),
        };
        let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) {
            return Err(MoneyError::NotADecimal);
        }
        let exponent = currency.exponent() as usize;
        if fraction.len() > exponent {
            return Err(MoneyError::TooPrecise(currency));
        }
        // Any whole part longer than this is out of range, and shorter ones fit in an i128
        // with room to spare, so the arithmetic below cannot overflow.
        if whole.trim_start_matches('0').len() > 20 {
            return Err(MoneyError::OutOfRange);
        }
        let whole: i128 = whole.parse().map_err(|_| MoneyError::NotADecimal)?;
        let fraction: i128 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<exponent$}").parse().map_err(|_| MoneyError::NotADecimal)?
        };
        let minor = whole * i128::from(currency.minor_per_major()) + fraction;
        let minor = if negative { -minor } else { minor };
        let minor = i64::try_from(minor).map_err(|_| MoneyError::OutOfRange)?;
        Self::new(minor, currency)
    }

    /// The amount in major units with exactly the currency's decimal places, no currency and
    /// no group separators: `12.30` (EUR 1230), `1200` (JPY 1200), `1.500` (KWD 1500),
    /// `-0.05` (EUR −5). [`Money::parse_decimal`] reads it back to the same value.
    pub fn to_decimal_string(self) -> String {
        let exponent = self.currency.exponent() as usize;
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let magnitude = self.amount_minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        let unit = self.currency.minor_per_major().unsigned_abs();
        format!("{sign}{}.{:0exponent$}", magnitude / unit, magnitude % unit)
    }

    /// `self + other`.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`]; [`MoneyError::OutOfRange`] when the sum is.
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        let currency = self.same_currency(other)?;
        // Both are within ±10^15, so the i64 sum cannot overflow; only the range can fail.
        Self::new(self.amount_minor + other.amount_minor, currency)
    }

    /// `self - other`.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`]; [`MoneyError::OutOfRange`] when the difference is.
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        let currency = self.same_currency(other)?;
        Self::new(self.amount_minor - other.amount_minor, currency)
    }

    /// `self × quantity` (a line of `quantity` items at this unit price).
    ///
    /// # Errors
    /// [`MoneyError::OutOfRange`] when the product is.
    pub fn checked_mul(self, quantity: i64) -> Result<Self, MoneyError> {
        let product = self.amount_minor.checked_mul(quantity).ok_or(MoneyError::OutOfRange)?;
        Self::new(product, self.currency)
    }

    /// `self × numerator / denominator`, rounded once with `mode`: a rate or a share.
    /// 19 % tax is `scaled(19, 100, …)`, 7.5 % is `scaled(75, 1000, …)`, a third is
    /// `scaled(1, 3, …)`. The product is exact in `i128` before the division.
    ///
    /// ```
    /// # use baseops_core::{Currency, Money, RoundingMode};
    /// let eur = Currency::parse("EUR").unwrap();
    /// // 19 % of 0.50 EUR is 9.5 cents: a tie.
    /// let net = Money::new(50, eur).unwrap();
    /// assert_eq!(net.scaled(19, 100, RoundingMode::HalfEven).unwrap().amount_minor(), 10);
    /// assert_eq!(net.scaled(19, 100, RoundingMode::HalfUp).unwrap().amount_minor(), 10);
    /// // 7.5 % of 0.70 EUR is 5.25 cents.
    /// let net = Money::new(70, eur).unwrap();
    /// assert_eq!(net.scaled(75, 1000, RoundingMode::HalfUp).unwrap().amount_minor(), 5);
    /// ```
    ///
    /// # Errors
    /// [`MoneyError::DivisionByZero`]; [`MoneyError::OutOfRange`] when the result is.
    pub fn scaled(self, numerator: i64, denominator: i64, mode: RoundingMode) -> Result<Self, MoneyError> {
        if denominator == 0 {
            return Err(MoneyError::DivisionByZero);
        }
        // |amount| ≤ 10^15 and |numerator| < 2^63, so the product is below 2^113.
        let product = i128::from(self.amount_minor) * i128::from(numerator);
        let quotient =
            divide_rounded(product, i128::from(denominator), mode).ok_or(MoneyError::OutOfRange)?;
        let minor = i64::try_from(quotient).map_err(|_| MoneyError::OutOfRange)?;
        Self::new(minor, self.currency)
    }

    fn same_currency(self, other: Self) -> Result<Currency, MoneyError> {
        if self.currency == other.currency {
            Ok(self.currency)
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

/// Negation never fails: the range is symmetric, so there is no `checked_neg`.
impl std::ops::Neg for Money {
    type Output = Self;

    fn neg(self) -> Self {
        Self { amount_minor: -self.amount_minor, currency: self.currency }
    }
}

/// `12.30 EUR`, `1200 JPY`: for logs and messages; APIs send the JSON object.
impl fmt::Display for Money {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// What JSON holds, before the range is checked; the amount is checked in its own field so an
/// error's path ends in `amount_minor`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyFields {
    #[serde(deserialize_with = "amount_in_range")]
    amount_minor: i64,
    currency: Currency,
}

fn amount_in_range<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let amount = i64::deserialize(deserializer)?;
    if (-Money::MAX_AMOUNT..=Money::MAX_AMOUNT).contains(&amount) {
        Ok(amount)
    } else {
        Err(serde::de::Error::custom(MoneyError::OutOfRange))
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let MoneyFields { amount_minor, currency } = MoneyFields::deserialize(deserializer)?;
        Ok(Self { amount_minor, currency })
    }
}
