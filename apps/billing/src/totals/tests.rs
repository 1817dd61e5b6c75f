use baseops_core::RoundingMode::{HalfEven, HalfUp};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;

fn d(text: &str) -> Decimal4 {
    Decimal4::parse(text).unwrap()
}

fn rate(n: u128, percent: &str, inclusive: bool, compound: bool) -> TaxSpec {
    TaxSpec { id: Uuid::from_u128(n), percent: d(percent), inclusive, compound }
}

fn line(quantity: &str, unit_amount: i64, taxes: Vec<TaxSpec>) -> LineInput {
    LineInput { quantity: d(quantity), unit_amount, discount: None, taxes }
}

const PER_LINE: Rounding = Rounding { mode: HalfEven, level: RoundingLevel::Line };
const PER_DOCUMENT: Rounding = Rounding { mode: HalfEven, level: RoundingLevel::Document };

#[test]
fn per_line_and_per_document_rounding_differ_as_documented() {
    // Three lines of 0.05 EUR at 10 %: half a cent each.
    let lines = vec![line("1", 5, vec![rate(1, "10", false, false)]); 3];
    // Per line, half-even: each 0.5 goes to the even 0.
    assert_eq!(compute(&lines, None, PER_LINE).unwrap().tax, 0);
    // Half-up: each goes to 1.
    let half_up = Rounding { mode: HalfUp, level: RoundingLevel::Line };
    assert_eq!(compute(&lines, None, half_up).unwrap().tax, 3);
    // Per document: 1.5 cents rounded once, to 2, spread back over the lines.
    let per_document = compute(&lines, None, PER_DOCUMENT).unwrap();
    assert_eq!(per_document.tax, 2);
    assert_eq!(per_document.lines.iter().map(|l| l.tax).collect::<Vec<_>>(), vec![1, 1, 0]);
    // Quantities round the line's amount with the same mode: 0.5 × 5 cents = 2.5 cents.
    let half = [line("0.5", 5, vec![])];
    assert_eq!(compute(&half, None, half_up).unwrap().lines[0].amount, 3);
    assert_eq!(compute(&half, None, PER_LINE).unwrap().lines[0].amount, 2);
}

#[test]
fn discounts_are_taken_before_tax_and_spread_exactly() {
    let vat = rate(1, "20", false, false);
    let mut lines = vec![line("2", 1000, vec![vat]), line("1", 1000, vec![vat]), line("1", 1000, vec![])];
    lines[0].discount = Some(Discount::Percent(d("10")));
    // Left after the line discount: 1800, 1000, 1000. 100 off in proportion: 47.37, 26.32,
    // 26.32 — floors 47, 26, 26 and the last cent to the largest remainder, the first line.
    let totals = compute(&lines, Some(Discount::Amount(100)), PER_LINE).unwrap();
    assert_eq!(totals.lines.iter().map(|l| l.discount).collect::<Vec<_>>(), vec![248, 26, 26]);
    assert_eq!((totals.subtotal, totals.discount, totals.net), (4000, 300, 3700));
    // 20 % of 17.52 = 3.504 → 3.50; of 9.74 = 1.948 → 1.95.
    assert_eq!(totals.tax, 350 + 195);
    assert_eq!(totals.total, 3700 + 545);
    assert_eq!(totals.taxes[0].base, 1752 + 974);
}

#[test]
fn inclusive_rates_are_inside_the_price() {
    // 11.90 EUR including 19 %: 10.00 net, 1.90 tax.
    let totals = compute(&[line("1", 1190, vec![rate(1, "19", true, false)])], None, PER_LINE).unwrap();
    assert_eq!((totals.net, totals.tax, totals.total), (1000, 190, 1190));
    assert_eq!(totals.taxes[0].base, 1000);
}

#[test]
fn a_compound_rate_applies_over_the_other_taxes() {
    // Québec: 100.00 + 5 % GST = 5.00, QST 9.975 % on 105.00 = 10.47375 → 10.47.
    let lines = [line("1", 10_000, vec![rate(1, "5", false, false), rate(2, "9.975", false, true)])];
    let totals = compute(&lines, None, PER_LINE).unwrap();
    assert_eq!(totals.taxes.iter().map(|t| t.amount).collect::<Vec<_>>(), vec![500, 1047]);
    assert_eq!(totals.total, 11_547);
    assert_eq!(compute(&lines, None, PER_DOCUMENT).unwrap().total, 11_547);
}

#[test]
fn bad_lines_are_reported_by_field_all_at_once() {
    let mut lines = vec![
        line("0", 100, vec![]),
        line("1", -5, vec![]),
        line("1", 100, vec![rate(1, "101", false, false)]),
    ];
    lines.push(line("1", 100, vec![rate(1, "5", true, false), rate(2, "5", false, false)]));
    lines.push(LineInput { discount: Some(Discount::Amount(101)), ..line("1", 100, vec![]) });
    lines.push(line("1", 100, vec![rate(1, "5", false, false), rate(1, "5", false, false)]));
    let errors = compute(&lines, None, PER_LINE).unwrap_err();
    for field in [
        "lines[0].quantity",
        "lines[1].unit_amount",
        "lines[2].tax_rate_ids",
        "lines[3].tax_rate_ids",
        "lines[4].discount",
        "lines[5].tax_rate_ids",
    ] {
        assert!(errors.get(field).is_some(), "{field}: {errors:?}");
    }
    let huge = [line("1000000000", Money::MAX_AMOUNT, vec![])];
    assert!(compute(&huge, None, PER_LINE).unwrap_err().get("lines[0].unit_amount").is_some());
    let many = vec![line("1", Money::MAX_AMOUNT, vec![]); 2];
    assert!(compute(&many, None, PER_LINE).unwrap_err().get("lines").is_some());
    let over = compute(&[line("1", 100, vec![])], Some(Discount::Amount(101)), PER_LINE).unwrap_err();
    assert!(over.get("discount").is_some());
    let too_many = vec![line("1", 1, vec![]); MAX_LINES + 1];
    assert!(compute(&too_many, None, PER_LINE).unwrap_err().get("lines").is_some());
}

#[test]
fn allocation_adds_up_and_favours_the_largest_remainders() {
    assert_eq!(allocate(10, &[1, 1, 1]), vec![4, 3, 3]);
    assert_eq!(allocate(0, &[5, 5]), vec![0, 0]);
    assert_eq!(allocate(7, &[0, 0]), vec![0, 0]);
    assert_eq!(allocate(100, &[1, 2, 7]), vec![10, 20, 70]);
}

fn any_rounding() -> impl Strategy<Value = Rounding> {
    (
        prop_oneof![Just(HalfEven), Just(HalfUp)],
        prop_oneof![Just(RoundingLevel::Line), Just(RoundingLevel::Document)],
    )
        .prop_map(|(mode, level)| Rounding { mode, level })
}

fn spec(id: u128, percent: i64, inclusive: bool, compound: bool) -> TaxSpec {
    TaxSpec { id: Uuid::from_u128(id), percent: Decimal4::from_ten_thousandths(percent), inclusive, compound }
}

fn any_line() -> impl Strategy<Value = LineInput> {
    let taxes = prop_oneof![
        Just(vec![]),
        (0_i64..=300_000).prop_map(|p| vec![spec(1, p, false, false)]),
        (0_i64..=300_000, 0_i64..=200_000)
            .prop_map(|(a, b)| vec![spec(1, a, false, false), spec(2, b, false, true)]),
        (0_i64..=300_000).prop_map(|p| vec![spec(3, p, true, false)]),
        (0_i64..=300_000, 0_i64..=100_000)
            .prop_map(|(a, b)| vec![spec(3, a, true, false), spec(4, b, true, false)]),
    ];
    let discount = prop_oneof![
        Just(None),
        (0_i64..=1_000_000).prop_map(|p| Some(Discount::Percent(Decimal4::from_ten_thousandths(p)))),
        (0_i64..=500).prop_map(|a| Some(Discount::Amount(a))),
    ];
    (1_i64..=10_000_000, 0_i64..=10_000_000_000, discount, taxes).prop_map(
        |(quantity, unit_amount, discount, taxes)| LineInput {
            quantity: Decimal4::from_ten_thousandths(quantity),
            unit_amount,
            discount,
            taxes,
        },
    )
}

proptest! {
    #[test]
    fn totals_add_up_whatever_the_lines(
        lines in prop::collection::vec(any_line(), 0..20),
        overall in prop_oneof![Just(None), (0_i64..=1_000_000).prop_map(|p| Some(Discount::Percent(Decimal4::from_ten_thousandths(p))))],
        rounding in any_rounding(),
    ) {
        // A line discount beyond its amount is a refusal, not a total; such inputs are skipped.
        let Ok(totals) = compute(&lines, overall, rounding) else { return Ok(()) };
        prop_assert_eq!(totals.total, totals.net + totals.tax);
        prop_assert_eq!(totals.subtotal, totals.lines.iter().map(|l| l.amount).sum::<i64>());
        prop_assert_eq!(totals.discount, totals.lines.iter().map(|l| l.discount).sum::<i64>());
        prop_assert_eq!(totals.tax, totals.taxes.iter().map(|t| t.amount).sum::<i64>());
        prop_assert_eq!(totals.total, totals.lines.iter().map(|l| l.total).sum::<i64>());
        for (input, figures) in lines.iter().zip(&totals.lines) {
            prop_assert!(figures.discount >= 0 && figures.discount <= figures.amount);
            prop_assert!(figures.tax >= 0 && figures.net >= 0);
            prop_assert_eq!(figures.total, figures.net + figures.tax);
            let inclusive = input.taxes.first().is_some_and(|t| t.inclusive);
            let after = figures.amount - figures.discount;
            prop_assert_eq!(if inclusive { figures.total } else { figures.net }, after);
            if input.taxes.is_empty() { prop_assert_eq!(figures.tax, 0); }
        }
    }

    #[test]
    fn an_amount_discount_is_taken_exactly(
        lines in prop::collection::vec(any_line(), 1..10),
        off in 0_i64..=1_000,
        rounding in any_rounding(),
    ) {
        let Ok(before) = compute(&lines, None, rounding) else { return Ok(()) };
        let left = before.subtotal - before.discount;
        let Ok(after) = compute(&lines, Some(Discount::Amount(off)), rounding) else {
            prop_assert!(off > left);
            return Ok(());
        };
        prop_assert_eq!(after.discount, before.discount + off);
        prop_assert!(after.net <= before.net);
    }
}
