//! An invoice's arithmetic: lines, discounts, taxes, rounding and totals, in integer minor
//! units of one currency, with no database and no floats. Credit notes and the editor's
//! live totals use the same function, so what a draft shows is what finalizing stores.
//!
//! Per line: `amount = quantity × unit_amount`, rounded to the minor unit; the line's
//! discount (a percentage of the amount, or a fixed amount no larger than it); then the
//! invoice's discount, spread over the lines in proportion to what is left of them (largest
//! remainder, so the shares add up to it exactly). What remains is taxed:
//!
//! - **exclusive** rates add `remaining × rate`; a **compound** rate applies to the remaining
//!   amount plus the line's non-compound taxes (Québec's QST over GST, say);
//! - **inclusive** rates are inside the remaining amount: of a gross `g` with rates summing to
//!   `R`, rate `r` is `g × r / (1 + R)` and the net is `g` minus the taxes. A line's rates are
//!   all inclusive or all exclusive, and compound rates are exclusive.
//!
//! Rounding ([`Rounding`]) is either per line — every line's tax per rate is rounded, and the
//! document adds rounded figures — or per document — each rate's tax is summed exactly over
//! the lines and rounded once (for inclusive rates, once per group of lines with the same
//! total inclusive rate), then spread back over the lines by largest remainder so the lines
//! still add up to the document. Ties follow the organization's [`RoundingMode`]. Worked
//! examples are in `docs/apps/billing.md`.

use baseops_core::{FieldErrors, Money, RoundingMode, divide_rounded};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::decimal::{Decimal4, SCALE};

/// Lines on one invoice, at most.
pub const MAX_LINES: usize = 500;
/// Tax rates on one line, at most.
pub const MAX_TAXES_PER_LINE: usize = 5;
/// The largest quantity on a line.
pub const MAX_QUANTITY: Decimal4 = Decimal4::whole(1_000_000_000);
/// 100 %, in the ten-thousandths of a percent a [`Decimal4`] percentage is held in.
const HUNDRED_PERCENT: i128 = 100 * SCALE as i128;

/// Where taxes are rounded to the minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundingLevel {
    /// Every line's tax per rate.
    #[default]
    Line,
    /// Each rate's total over the document.
    Document,
}

/// How an invoice rounds: ties, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounding {
    /// How exact halves go.
    pub mode: RoundingMode,
    /// Per line or per document.
    pub level: RoundingLevel,
}

/// A discount: a percentage, or a fixed amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    /// 0–100 %.
    Percent(Decimal4),
    /// A non-negative amount in minor units, at most what it discounts.
    Amount(i64),
}

/// A tax rate as a line applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxSpec {
    /// The rate's id (the summary is per rate).
    pub id: Uuid,
    /// 0–100 %.
    pub percent: Decimal4,
    /// Inside the price rather than added to it.
    pub inclusive: bool,
    /// Applied over the line's other taxes too.
    pub compound: bool,
}

/// One line to total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    /// Greater than 0, at most [`MAX_QUANTITY`].
    pub quantity: Decimal4,
    /// The unit price in minor units, 0 or more.
    pub unit_amount: i64,
    /// The line's own discount.
    pub discount: Option<Discount>,
    /// Its tax rates, at most [`MAX_TAXES_PER_LINE`], each once.
    pub taxes: Vec<TaxSpec>,
}

/// A line's figures, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineTotals {
    /// Quantity × unit amount.
    pub amount: i64,
    /// Its own discount plus its share of the invoice's.
    pub discount: i64,
    /// Without tax.
    pub net: i64,
    /// Its taxes.
    pub tax: i64,
    /// With tax.
    pub total: i64,
}

/// One rate's figures over the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxTotal {
    /// The rate.
    pub id: Uuid,
    /// Its percentage.
    pub percent: Decimal4,
    /// Whether it is inclusive.
    pub inclusive: bool,
    /// Whether it is compound.
    pub compound: bool,
    /// The net amount of the lines it applies to.
    pub base: i64,
    /// The tax.
    pub amount: i64,
}

/// A document's figures, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// Per line, in order.
    pub lines: Vec<LineTotals>,
    /// Σ amounts.
    pub subtotal: i64,
    /// Σ discounts.
    pub discount: i64,
    /// Σ nets.
    pub net: i64,
    /// Σ taxes.
    pub tax: i64,
    /// `net + tax`.
    pub total: i64,
    /// Per rate, in the order rates first appear.
    pub taxes: Vec<TaxTotal>,
}

/// Totals `lines` with the invoice-wide `discount`. Problems are reported by field path
/// (`lines[2].quantity`, `discount`), all at once.
///
/// # Errors
/// The field errors, when a value is out of range or a figure would be.
pub fn compute(
    lines: &[LineInput],
    discount: Option<Discount>,
    rounding: Rounding,
) -> Result<Totals, FieldErrors> {
    let mut errors = FieldErrors::new();
    if lines.len() > MAX_LINES {
        errors.add("lines", format!("at most {MAX_LINES} lines"));
        return Err(errors);
    }
    let mode = rounding.mode;
    // Each line's amount after its own discount.
    let mut rest = Vec::with_capacity(lines.len());
    let mut totals = Totals { lines: vec![LineTotals::default(); lines.len()], ..Totals::default() };
    for (index, line) in lines.iter().enumerate() {
        let at = |field: &str| format!("lines[{index}].{field}");
        check_line(line, index, &mut errors);
        if line.quantity <= Decimal4::ZERO
            || line.quantity > MAX_QUANTITY
            || !(0..=Money::MAX_AMOUNT).contains(&line.unit_amount)
        {
            rest.push(0);
            continue;
        }
        let exact = i128::from(line.quantity.ten_thousandths()) * i128::from(line.unit_amount);
        let Some(amount) = in_range(divide_rounded(exact, i128::from(SCALE), mode)) else {
            errors.add(at("unit_amount"), "quantity × unit amount is beyond the largest amount");
            rest.push(0);
            continue;
        };
        let own = match line.discount {
            None => 0,
            Some(Discount::Percent(percent)) if valid_percent(percent) => {
                share(amount, i128::from(percent.ten_thousandths()), HUNDRED_PERCENT, mode)
            }
            Some(Discount::Percent(_)) => {
                errors.add(at("discount"), "a percentage must be between 0 and 100");
                0
            }
            Some(Discount::Amount(off)) if (0..=amount).contains(&off) => off,
            Some(Discount::Amount(_)) => {
                errors.add(at("discount"), "must be between 0 and the line's amount");
                0
            }
        };
        totals.lines[index].amount = amount;
        totals.lines[index].discount = own;
        rest.push(amount - own);
    }
    let left: i128 = rest.iter().map(|&amount| i128::from(amount)).sum();
    let overall = match discount {
        None => 0,
        Some(Discount::Percent(percent)) if valid_percent(percent) => {
            divide_rounded(left * i128::from(percent.ten_thousandths()), HUNDRED_PERCENT, mode).unwrap_or(0)
        }
        Some(Discount::Amount(off)) if off >= 0 && i128::from(off) <= left => i128::from(off),
        Some(Discount::Percent(_)) => {
            errors.add("discount", "a percentage must be between 0 and 100");
            0
        }
        Some(Discount::Amount(_)) => {
            errors.add("discount", "must be between 0 and the lines' amount after their discounts");
            0
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let weights: Vec<i128> = rest.iter().map(|&amount| i128::from(amount)).collect();
    let spread = allocate(overall, &weights);
    let after: Vec<i64> = rest.iter().zip(&spread).map(|(&amount, &cut)| amount - cut).collect();
    for (line, cut) in totals.lines.iter_mut().zip(&spread) {
        line.discount += cut;
    }
    let taxes = taxes_of(lines, &after, rounding);
    for (index, line) in totals.lines.iter_mut().enumerate() {
        let tax: i64 = taxes.per_line[index];
        let inclusive = lines[index].taxes.first().is_some_and(|spec| spec.inclusive);
        (line.net, line.total) =
            if inclusive { (after[index] - tax, after[index]) } else { (after[index], after[index] + tax) };
        line.tax = tax;
    }
    totals.taxes = taxes.summary;
    for (index, rate) in totals.taxes.iter_mut().enumerate() {
        rate.base = lines
            .iter()
            .zip(&totals.lines)
            .filter(|(line, _)| line.taxes.iter().any(|spec| spec.id == taxes.ids[index]))
            .map(|(_, figures)| figures.net)
            .sum();
    }
    let sum =
        |pick: fn(&LineTotals) -> i64| totals.lines.iter().map(|line| i128::from(pick(line))).sum::<i128>();
    let figures = [sum(|l| l.amount), sum(|l| l.discount), sum(|l| l.net), sum(|l| l.tax), sum(|l| l.total)];
    let [subtotal, discount, net, tax, total] = figures.map(|figure| in_range(Some(figure)));
    match (subtotal, discount, net, tax, total) {
        (Some(subtotal), Some(discount), Some(net), Some(tax), Some(total)) => {
            (totals.subtotal, totals.discount, totals.net, totals.tax, totals.total) =
                (subtotal, discount, net, tax, total);
            Ok(totals)
        }
        _ => {
            errors.add("lines", "the invoice's total is beyond the largest amount");
            Err(errors)
        }
    }
}

fn check_line(line: &LineInput, index: usize, errors: &mut FieldErrors) {
    let at = |field: &str| format!("lines[{index}].{field}");
    if line.quantity <= Decimal4::ZERO || line.quantity > MAX_QUANTITY {
        errors.add(at("quantity"), format!("must be greater than 0 and at most {MAX_QUANTITY}"));
    }
    if line.unit_amount < 0 {
        errors.add(at("unit_amount"), "must not be negative (a correction is a credit note)");
    } else if line.unit_amount > Money::MAX_AMOUNT {
        errors.add(at("unit_amount"), "is beyond the largest amount (10^15 minor units)");
    }
    if line.taxes.len() > MAX_TAXES_PER_LINE {
        errors.add(at("tax_rate_ids"), format!("at most {MAX_TAXES_PER_LINE} tax rates"));
    }
    for (position, spec) in line.taxes.iter().enumerate() {
        if line.taxes[..position].iter().any(|earlier| earlier.id == spec.id) {
            errors.add(at("tax_rate_ids"), "a tax rate appears twice");
        }
        if !valid_percent(spec.percent) {
            errors.add(at("tax_rate_ids"), "a rate must be between 0 and 100 %");
        }
    }
    let inclusive = line.taxes.iter().filter(|spec| spec.inclusive).count();
    if inclusive != 0 && inclusive != line.taxes.len() {
        errors.add(at("tax_rate_ids"), "mixes inclusive and exclusive rates");
    }
    if line.taxes.iter().any(|spec| spec.inclusive && spec.compound) {
        errors.add(at("tax_rate_ids"), "a compound rate cannot be inclusive");
    }
}

fn valid_percent(percent: Decimal4) -> bool {
    (0..=100 * SCALE).contains(&percent.ten_thousandths())
}

/// `value` when it is a valid amount of money.
fn in_range(value: Option<i128>) -> Option<i64> {
    value.and_then(|value| i64::try_from(value).ok()).filter(|value| value.abs() <= Money::MAX_AMOUNT)
}

/// `amount × numerator / denominator`, rounded; the inputs keep it within `amount`.
fn share(amount: i64, numerator: i128, denominator: i128, mode: RoundingMode) -> i64 {
    divide_rounded(i128::from(amount) * numerator, denominator, mode)
        .and_then(|value| i64::try_from(value).ok())
        .unwrap_or(0)
}

/// `total` (0 ≤ total ≤ Σ weights when every weight is ≥ 0, or any total over exact
/// numerators) split in proportion to `weights` with the largest-remainder method: the
/// parts add up to `total` exactly, and none is more than one unit from its exact share.
/// Ties go to the earlier weight.
pub(crate) fn allocate(total: i128, weights: &[i128]) -> Vec<i64> {
    let sum: i128 = weights.iter().sum();
    if sum == 0 || total == 0 {
        return vec![0; weights.len()];
    }
    let mut parts: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (index, &weight) in weights.iter().enumerate() {
        let exact = total * weight;
        parts.push(exact.div_euclid(sum));
        remainders.push((exact.rem_euclid(sum), index));
    }
    let handed: i128 = parts.iter().sum();
    let mut left = total - handed;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, index) in &remainders {
        if left <= 0 {
            break;
        }
        parts[index] += 1;
        left -= 1;
    }
    parts.into_iter().map(|part| i64::try_from(part).unwrap_or(0)).collect()
}

struct Taxed {
    per_line: Vec<i64>,
    ids: Vec<Uuid>,
    summary: Vec<TaxTotal>,
}

/// One exact tax of one line: `numerator / denominator` of rate `rate` (an index into the
/// summary).
struct Exact {
    line: usize,
    rate: usize,
    numerator: i128,
    denominator: i128,
}

fn taxes_of(lines: &[LineInput], after: &[i64], rounding: Rounding) -> Taxed {
    let mut taxed = Taxed { per_line: vec![0; lines.len()], ids: Vec::new(), summary: Vec::new() };
    let mut exact = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let gross = i128::from(after[index]);
        let rate_of = |taxed: &mut Taxed, spec: &TaxSpec| match taxed.ids.iter().position(|id| *id == spec.id)
        {
            Some(position) => position,
            None => {
                taxed.ids.push(spec.id);
                taxed.summary.push(TaxTotal {
                    id: spec.id,
                    percent: spec.percent,
                    inclusive: spec.inclusive,
                    compound: spec.compound,
                    base: 0,
                    amount: 0,
                });
                taxed.ids.len() - 1
            }
        };
        let percent = |spec: &TaxSpec| i128::from(spec.percent.ten_thousandths());
        if line.taxes.first().is_some_and(|spec| spec.inclusive) {
            let denominator = HUNDRED_PERCENT + line.taxes.iter().map(percent).sum::<i128>();
            for spec in &line.taxes {
                let rate = rate_of(&mut taxed, spec);
                exact.push(Exact { line: index, rate, numerator: gross * percent(spec), denominator });
            }
            continue;
        }
        // Exclusive: simple rates on the amount; compound ones on the amount and those.
        let mut simple_numerator = 0_i128; // Σ taxes × 100 %
        let mut simple_rounded = 0_i128;
        for spec in line.taxes.iter().filter(|spec| !spec.compound) {
            let rate = rate_of(&mut taxed, spec);
            let numerator = gross * percent(spec);
            simple_numerator += numerator;
            simple_rounded += divide_rounded(numerator, HUNDRED_PERCENT, rounding.mode).unwrap_or(0);
            exact.push(Exact { line: index, rate, numerator, denominator: HUNDRED_PERCENT });
        }
        for spec in line.taxes.iter().filter(|spec| spec.compound) {
            let rate = rate_of(&mut taxed, spec);
            let (numerator, denominator) = match rounding.level {
                RoundingLevel::Line => ((gross + simple_rounded) * percent(spec), HUNDRED_PERCENT),
                RoundingLevel::Document => (
                    (gross * HUNDRED_PERCENT + simple_numerator) * percent(spec),
                    HUNDRED_PERCENT * HUNDRED_PERCENT,
                ),
            };
            exact.push(Exact { line: index, rate, numerator, denominator });
        }
    }
    let mut place = |line: usize, rate: usize, amount: i64| {
        taxed.per_line[line] += amount;
        taxed.summary[rate].amount += amount;
    };
    match rounding.level {
        RoundingLevel::Line => {
            for tax in &exact {
                let amount = divide_rounded(tax.numerator, tax.denominator, rounding.mode).unwrap_or(0);
                place(tax.line, tax.rate, i64::try_from(amount).unwrap_or(0));
            }
        }
        RoundingLevel::Document => {
            // Group by rate and denominator: one rounding per group, spread back over its lines.
            let mut groups: Vec<((usize, i128), Vec<&Exact>)> = Vec::new();
            for tax in &exact {
                match groups.iter_mut().find(|(key, _)| *key == (tax.rate, tax.denominator)) {
                    Some((_, members)) => members.push(tax),
                    None => groups.push(((tax.rate, tax.denominator), vec![tax])),
                }
            }
            for ((rate, denominator), members) in groups {
                let weights: Vec<i128> = members.iter().map(|tax| tax.numerator).collect();
                let sum: i128 = weights.iter().sum();
                let total = divide_rounded(sum, denominator, rounding.mode).unwrap_or(0);
                for (tax, amount) in members.iter().zip(allocate(total, &weights)) {
                    place(tax.line, rate, amount);
                }
            }
        }
    }
    taxed
}

#[cfg(test)]
mod tests;
