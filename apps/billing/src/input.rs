//! What clients send: a draft invoice's fields, as JSON, and their checks. Sizes and counts
//! are checked before any per-line work; every problem is reported by field path at once.

use baseops_core::{Currency, FieldErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::decimal::Decimal4;
use crate::totals::{self, Discount, MAX_LINES, MAX_TAXES_PER_LINE};

/// Longest memo or footer, in characters.
pub const MAX_NOTE_CHARS: usize = 5_000;
/// Longest line description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Longest payment terms, in days.
pub const MAX_TERMS_DAYS: i32 = 365;

/// A discount as sent: exactly one of `percent` (0–100, up to 4 decimals, as a string) or
/// `amount` (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountIn {
    /// A percentage, `"10"` or `"12.5"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal4>,
    /// A fixed amount in minor units of the invoice's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub amount: Option<i64>,
}

impl DiscountIn {
    /// The discount, or the problem with it.
    pub(crate) fn check(self, field: &str, errors: &mut FieldErrors) -> Option<Discount> {
        match (self.percent, self.amount) {
            (Some(percent), None) => Some(Discount::Percent(percent)),
            (None, Some(amount)) => Some(Discount::Amount(amount)),
            _ => {
                errors.add(field, "give exactly one of percent and amount");
                None
            }
        }
    }

    /// The columns it is stored in.
    pub(crate) fn from_stored(percent: Option<i64>, amount: Option<i64>) -> Option<Self> {
        match (percent, amount) {
            (None, None) => None,
            (percent, amount) => Some(Self { percent: percent.map(Decimal4::from_ten_thousandths), amount }),
        }
    }
}

/// A line of a draft invoice.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    /// A price of the catalog, in the invoice's currency: the line's defaults come from it
    /// and its product (description, unit amount, tax rates), and reports know what was sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_id: Option<Uuid>,
    /// What is billed, 1–500 characters; the product's name when left out with a `price_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 500)]
    pub description: Option<String>,
    /// Greater than 0, up to 4 decimals (`"1.5"`), at most 1,000,000,000.
    pub quantity: Decimal4,
    /// The unit price in minor units of the invoice's currency; the price's when left out
    /// with a `price_id` (then the price must be active).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub unit_amount: Option<i64>,
    /// The line's own discount.
    #[serde(default)]
    pub discount: Option<DiscountIn>,
    /// Tax rates of the organization, at most 5; with a `price_id` and none given, the
    /// product's rates that are not archived.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub tax_rate_ids: Vec<Uuid>,
}

/// A new draft invoice.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvoice {
    /// The customer billed.
    pub customer_id: Uuid,
    /// ISO 4217; the organization's currency when left out.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "EUR")]
    pub currency: Option<Currency>,
    /// The lines, at most 500.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub lines: Vec<LineIn>,
    /// A discount on the whole invoice, after the lines' own.
    #[serde(default)]
    pub discount: Option<DiscountIn>,
    /// A note to the customer, up to 5,000 characters.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub memo: Option<String>,
    /// The footer; the organization's when left out.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub footer: Option<String>,
    /// Days from finalizing to the due date, 0–365; the organization's when left out.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
}

/// Changes to a draft: what is sent replaces what was there (`lines` as a whole list);
/// `null` clears the discount, memo or footer.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceChanges {
    /// Another customer.
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    /// Another currency.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "EUR")]
    pub currency: Option<Currency>,
    /// Every line, replacing the old ones.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub lines: Option<Vec<LineIn>>,
    /// The invoice's discount.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<DiscountIn>)]
    pub discount: Option<Option<DiscountIn>>,
    /// The memo.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub memo: Option<Option<String>>,
    /// The footer.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub footer: Option<Option<String>>,
    /// Days from finalizing to the due date.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
}

/// A line checked for size, with its discount read; its tax rates are checked against the
/// organization's by the service.
#[derive(Debug, Clone)]
pub struct CheckedLine {
    /// The catalog's price it bills.
    pub price_id: Option<Uuid>,
    /// What is billed.
    pub description: String,
    /// The line's figures' inputs, without taxes yet.
    pub input: totals::LineInput,
    /// Its tax rates.
    pub tax_rate_ids: Vec<Uuid>,
    /// What the catalog still has to fill in (`price_id` lines only).
    pub from_catalog: Option<FromCatalog>,
}

/// The fields a line with a `price_id` left out, taken from the price and its product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FromCatalog {
    /// The product's name.
    pub description: bool,
    /// The price's unit amount.
    pub unit_amount: bool,
    /// The product's tax rates.
    pub tax_rates: bool,
}

/// Checks lines' sizes and reads their discounts, adding problems to `errors`.
pub(crate) fn check_lines(lines: Vec<LineIn>, errors: &mut FieldErrors) -> Vec<CheckedLine> {
    if lines.len() > MAX_LINES {
        errors.add("lines", format!("at most {MAX_LINES} lines"));
        return Vec::new();
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            let from_catalog = line.price_id.map(|_| FromCatalog {
                description: line.description.is_none(),
                unit_amount: line.unit_amount.is_none(),
                tax_rates: line.tax_rate_ids.is_empty(),
            });
            let description = line.description.as_deref().map(str::trim).unwrap_or_default().to_owned();
            let count = description.chars().count();
            if line.description.is_none() && line.price_id.is_none() {
                errors.add(format!("lines[{index}].description"), "required unless price_id is given");
            } else if line.description.is_some()
                && (count == 0 || count > MAX_DESCRIPTION_CHARS || description.contains('\0'))
            {
                errors.add(
                    format!("lines[{index}].description"),
                    format!("must be 1 to {MAX_DESCRIPTION_CHARS} characters, without NUL"),
                );
            }
            if line.unit_amount.is_none() && line.price_id.is_none() {
                errors.add(format!("lines[{index}].unit_amount"), "required unless price_id is given");
            }
            if line.tax_rate_ids.len() > MAX_TAXES_PER_LINE {
                errors.add(
                    format!("lines[{index}].tax_rate_ids"),
                    format!("at most {MAX_TAXES_PER_LINE} tax rates"),
                );
            }
            let discount = line
                .discount
                .and_then(|discount| discount.check(&format!("lines[{index}].discount"), errors));
            CheckedLine {
                price_id: line.price_id,
                description,
                input: totals::LineInput {
                    quantity: line.quantity,
                    unit_amount: line.unit_amount.unwrap_or_default(),
                    discount,
                    taxes: Vec::new(),
                },
                tax_rate_ids: line.tax_rate_ids,
                from_catalog,
            }
        })
        .collect()
}

/// A memo or footer: trimmed, empty as none, at most [`MAX_NOTE_CHARS`], no NUL.
pub(crate) fn check_note(field: &str, note: Option<String>, errors: &mut FieldErrors) -> Option<String> {
    let note = note.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty())?;
    if note.chars().count() > MAX_NOTE_CHARS || note.contains('\0') {
        errors.add(field, format!("must be at most {MAX_NOTE_CHARS} characters, without NUL"));
    }
    Some(note)
}

/// Payment terms within 0–365 days.
pub(crate) fn check_terms(days: Option<i32>, errors: &mut FieldErrors) -> Option<i32> {
    let days = days?;
    if !(0..=MAX_TERMS_DAYS).contains(&days) {
        errors.add("payment_terms_days", format!("must be between 0 and {MAX_TERMS_DAYS}"));
    }
    Some(days)
}
