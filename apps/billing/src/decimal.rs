//! Exact decimals with up to four places, for what is not money: a line's quantity
//! (`1.5` hours) and a percentage (`8.875` %). Held as integer ten-thousandths, read from
//! text and written back to the same text, never through a float.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Ten-thousandths in one: the scale of every [`Decimal4`].
pub const SCALE: i64 = 10_000;

/// A decimal with at most four places, within ±`max` of its use: `1.5` is 15,000
/// ten-thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Decimal4(i64);

/// Why text is not a [`Decimal4`]; its `Display` is the message for a field error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not `-?digits(.digits)?`.
    #[error("is not a decimal number such as 1.5")]
    NotADecimal,
    /// More than four decimal places.
    #[error("has more than 4 decimal places")]
    TooPrecise,
    /// Beyond what fits (10^12 in absolute value).
    #[error("is too large")]
    TooLarge,
}

impl Decimal4 {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// The value with `units` ten-thousandths.
    pub const fn from_ten_thousandths(units: i64) -> Self {
        Self(units)
    }

    /// A whole number.
    pub const fn whole(value: i64) -> Self {
        Self(value * SCALE)
    }

    /// The value in ten-thousandths.
    pub const fn ten_thousandths(self) -> i64 {
        self.0
    }

    /// Reads `12`, `1.5`, `-0.0125`; white space around it is ignored. Nothing is rounded:
    /// a fifth decimal place is an error, as are `+1`, `.5`, `5.`, `1e3` and separators.
    ///
    /// # Errors
    /// [`DecimalError`].
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        let text = text.trim();
        let (negative, unsigned) = text.strip_prefix('-').map_or((false, text), |rest| (true, rest));
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
            Some(_) => return Err(DecimalError::NotADecimal),
            None => (unsigned, ""),
        };
        let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) {
            return Err(DecimalError::NotADecimal);
        }
        if fraction.len() > 4 {
            return Err(DecimalError::TooPrecise);
        }
        if whole.trim_start_matches('0').len() > 12 {
            return Err(DecimalError::TooLarge);
        }
        let whole: i64 = whole.parse().map_err(|_| DecimalError::NotADecimal)?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<4}").parse().map_err(|_| DecimalError::NotADecimal)?
        };
        let value = whole * SCALE + fraction;
        Ok(Self(if negative { -value } else { value }))
    }
}

impl fmt::Display for Decimal4 {
    /// The shortest text that reads back to the same value: `1.5`, `12`, `-0.0125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let (whole, fraction) = (magnitude / SCALE.unsigned_abs(), magnitude % SCALE.unsigned_abs());
        if fraction == 0 {
            return write!(f, "{sign}{whole}");
        }
        let fraction = format!("{fraction:04}");
        write!(f, "{sign}{whole}.{}", fraction.trim_end_matches('0'))
    }
}

impl Serialize for Decimal4 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Decimal4 {
    /// A string (`"1.5"`) or an integer (`2`); a JSON fraction is refused because a float
    /// would already have rounded it.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Text {
            Text(String),
            Whole(i64),
        }
        match Text::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom("must be a decimal as a string (\"1.5\") or a whole number")
        })? {
            Text::Text(text) => Self::parse(&text).map_err(serde::de::Error::custom),
            Text::Whole(value) if value.unsigned_abs() <= 1_000_000_000_000 => Ok(Self::whole(value)),
            Text::Whole(_) => Err(serde::de::Error::custom(DecimalError::TooLarge)),
        }
    }
}

impl utoipa::PartialSchema for Decimal4 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, SchemaType, Type};
        let text = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(r"^-?[0-9]{1,12}(\.[0-9]{1,4})?$"))
            .examples(["1.5"]);
        let whole = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Integer))
            .minimum(Some(-1_000_000_000_000_i64))
            .maximum(Some(1_000_000_000_000_i64));
        OneOfBuilder::new()
            .item(text)
            .item(whole)
            .description(Some(
                "An exact decimal with up to 4 places: a string (\"1.5\") or a whole JSON integer",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Decimal4 {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_and_writes_back_exactly() {
        for (text, units) in [("1.5", 15_000), ("12", 120_000), ("-0.0125", -125), ("0.0001", 1), ("0", 0)] {
            let value = Decimal4::parse(text).unwrap();
            assert_eq!(value.ten_thousandths(), units, "{text}");
            assert_eq!(value.to_string(), text);
        }
        assert_eq!(Decimal4::parse("1.50").unwrap().to_string(), "1.5");
    }

    #[test]
    fn loose_or_inexact_text_is_refused() {
        for text in ["", "+1", ".5", "5.", "1e3", "1,5", "1.00001", "abc", "--1", "1 000"] {
            assert!(Decimal4::parse(text).is_err(), "{text:?}");
        }
        assert_eq!(Decimal4::parse("1234567890123"), Err(DecimalError::TooLarge));
        assert_eq!(Decimal4::parse("1.23456"), Err(DecimalError::TooPrecise));
    }

    #[test]
    fn json_takes_strings_and_whole_numbers_but_not_floats() {
        assert_eq!(
            serde_json::from_str::<Decimal4>("\"2.25\"").unwrap(),
            Decimal4::from_ten_thousandths(22_500)
        );
        assert_eq!(serde_json::from_str::<Decimal4>("3").unwrap(), Decimal4::whole(3));
        assert!(serde_json::from_str::<Decimal4>("2.25").is_err());
        assert!(serde_json::from_str::<Decimal4>("9223372036854775807").is_err());
        assert_eq!(serde_json::to_string(&Decimal4::whole(3)).unwrap(), "\"3\"");
    }
}
