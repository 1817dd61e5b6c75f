//! Division with a stated rounding, for tax, discount and proration maths.
//!
//! Money is whole minor units, so a tax of 19 % on 0.05 EUR (0.95 cent) must be rounded, and
//! how it is rounded is part of the invoice's correctness. [`divide_rounded`] divides exactly
//! in `i128` and rounds the quotient once, to the nearest integer; the mode only decides the
//! exact ties:
//!
//! | exact quotient | [`HalfEven`](RoundingMode::HalfEven) | [`HalfUp`](RoundingMode::HalfUp) |
//! | ---: | ---: | ---: |
//! | 2.5 | 2 | 3 |
//! | 3.5 | 4 | 4 |
//! | 2.4 | 2 | 2 |
//! | 2.6 | 3 | 3 |
//! | −2.5 | −2 | −3 |
//! | −3.5 | −4 | −4 |
//!
//! HalfEven ("banker's rounding") has no upward bias over many lines, which is why totals of
//! many rounded lines stay honest; HalfUp (half away from zero, "commercial rounding") is what
//! many tax authorities prescribe per invoice. A negative amount (a refund, a credit note) is
//! rounded as the mirror image of the positive one under both modes, so a credit note cancels
//! its invoice to the cent.

/// How a quotient exactly halfway between two integers is rounded; every other quotient goes
/// to the nearest integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Ties to the even neighbour: 0.5 → 0, 1.5 → 2, 2.5 → 2, −2.5 → −2.
    HalfEven,
    /// Ties away from zero: 0.5 → 1, 2.5 → 3, −2.5 → −3.
    HalfUp,
}

/// `numerator / denominator`, rounded to an integer with `mode`.
///
/// ```
/// use baseops_core::{RoundingMode, divide_rounded};
/// // 19 % tax on 1.05 EUR = 19.95 cents.
/// assert_eq!(divide_rounded(105 * 19, 100, RoundingMode::HalfEven), Some(20));
/// // 25 / 10 = 2.5, a tie.
/// assert_eq!(divide_rounded(25, 10, RoundingMode::HalfEven), Some(2));
/// assert_eq!(divide_rounded(25, 10, RoundingMode::HalfUp), Some(3));
/// assert_eq!(divide_rounded(-25, 10, RoundingMode::HalfEven), Some(-2));
/// assert_eq!(divide_rounded(-25, 10, RoundingMode::HalfUp), Some(-3));
/// assert_eq!(divide_rounded(1, 0, RoundingMode::HalfUp), None);
/// ```
///
/// Returns `None` when `denominator` is 0, or for `i128::MIN / -1`, the one quotient that does
/// not fit; it never panics.
pub fn divide_rounded(numerator: i128, denominator: i128, mode: RoundingMode) -> Option<i128> {
    let quotient = numerator.checked_div(denominator)?; // truncated toward zero
    let remainder = numerator.checked_rem(denominator)?; // has the numerator's sign
    if remainder == 0 {
        return Some(quotient);
    }
    // Compare |remainder| with |denominator| / 2 without doubling, which could overflow:
    // the fraction is more than a half when |r| > |d| − |r|.
    let remainder = remainder.unsigned_abs();
    let rest = denominator.unsigned_abs() - remainder;
    let away_from_zero = match remainder.cmp(&rest) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => match mode {
            RoundingMode::HalfUp => true,
            RoundingMode::HalfEven => quotient % 2 != 0,
        },
    };
    if !away_from_zero {
        return Some(quotient);
    }
    // With a remainder, |denominator| ≥ 2, so |quotient| ≤ i128::MAX / 2 and this cannot
    // overflow.
    if (numerator < 0) == (denominator < 0) { quotient.checked_add(1) } else { quotient.checked_sub(1) }
}
