//! Money, quantities and dates the way a reader of a locale writes them: `€1,234.56` and
//! `6 Dec 2026` in English, `1.234,56 €` and `06.12.2026` in German, `1 234,56 €` and
//! `06/12/2026` in French.

use baseops_core::Currency;
use chrono::{Datelike, NaiveDate};

/// A language the documents are printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English (the default).
    #[default]
    En,
    /// German.
    De,
    /// French.
    Fr,
}

impl Locale {
    /// Every supported locale.
    pub const ALL: [Self; 3] = [Self::En, Self::De, Self::Fr];

    /// The language code, `en`.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
        }
    }

    /// The locale of a language tag (`de`, `de-DE`, `fr_CH`), `None` for another language.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let language = tag.trim().split(['-', '_']).next().unwrap_or_default();
        Self::ALL.into_iter().find(|locale| locale.code().eq_ignore_ascii_case(language))
    }

    /// The locale of a language tag, English for any other language.
    pub fn parse(tag: &str) -> Self {
        Self::from_tag(tag).unwrap_or_default()
    }

    /// The decimal and grouping separators. French groups with a no-break space, which
    /// WinAnsi has (the narrow one CLDR prefers it lacks).
    fn separators(self) -> (char, char) {
        match self {
            Self::En => ('.', ','),
            Self::De => (',', '.'),
            Self::Fr => (',', '\u{00A0}'),
        }
    }

    /// "Page 2 of 3" in the locale.
    pub(crate) fn page_of(self, page: usize, pages: usize) -> String {
        match self {
            Self::En => format!("Page {page} of {pages}"),
            Self::De => format!("Seite {page} von {pages}"),
            Self::Fr => format!("Page {page} sur {pages}"),
        }
    }

    /// The word printed across a draft.
    pub(crate) fn draft(self) -> &'static str {
        match self {
            Self::En => "DRAFT",
            Self::De => "ENTWURF",
            Self::Fr => "BROUILLON",
        }
    }
}

/// The symbol of a currency when WinAnsi can print it, else `None` (the ISO code is used).
fn symbol(currency: Currency) -> Option<&'static str> {
    match currency.code() {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    }
}

/// Digits of `whole` with the locale's thousands separator.
fn grouped(whole: u128, separator: char) -> String {
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// `magnitude / 10^exponent` with `exponent` decimals (trailing zeros dropped when
/// `trim`), in the locale's separators.
fn fixed(magnitude: u128, exponent: u32, locale: Locale, trim: bool) -> String {
    let (decimal, group) = locale.separators();
    let scale = 10_u128.pow(exponent);
    let mut out = grouped(magnitude / scale, group);
    if exponent > 0 {
        let mut fraction = format!("{:0width$}", magnitude % scale, width = exponent as usize);
        if trim {
            fraction.truncate(fraction.trim_end_matches('0').len());
        }
        if !fraction.is_empty() {
            out.push(decimal);
            out.push_str(&fraction);
        }
    }
    out
}

/// An amount in minor units of `currency`, with its symbol (or ISO code) where the locale
/// puts it: en `€1,234.56`, `-€5.00`, `KWD 1,234.567`; de `1.234,56 €`; fr `1 234,56 €`.
pub fn money(amount_minor: i64, currency: Currency, locale: Locale) -> String {
    let figure = fixed(u128::from(amount_minor.unsigned_abs()), currency.exponent(), locale, false);
    let sign = if amount_minor < 0 { "-" } else { "" };
    match (locale, symbol(currency)) {
        (Locale::En, Some(symbol)) => format!("{sign}{symbol}{figure}"),
        (Locale::En, None) => format!("{sign}{} {figure}", currency.code()),
        (Locale::De | Locale::Fr, symbol) => format!("{sign}{figure} {}", symbol.unwrap_or(currency.code())),
    }
}

/// A decimal held in ten-thousandths (`25000` is 2.5), trailing zeros trimmed: en `1,234.5`,
/// de `1.234,5`.
pub fn decimal(ten_thousandths: i64, locale: Locale) -> String {
    let figure = fixed(u128::from(ten_thousandths.unsigned_abs()), 4, locale, true);
    if ten_thousandths < 0 { format!("-{figure}") } else { figure }
}

/// A day: en `6 Dec 2026`, de `06.12.2026`, fr `06/12/2026`.
pub fn date(day: NaiveDate, locale: Locale) -> String {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    match locale {
        Locale::En => format!("{} {} {}", day.day(), MONTHS[day.month0() as usize], day.year()),
        Locale::De => format!("{:02}.{:02}.{}", day.day(), day.month(), day.year()),
        Locale::Fr => format!("{:02}/{:02}/{}", day.day(), day.month(), day.year()),
    }
}
