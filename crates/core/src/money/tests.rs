//! Worked examples and property tests of the money rules.

use proptest::prelude::*;

use super::*;

fn currency(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn money(amount_minor: i64, code: &str) -> Money {
    Money::new(amount_minor, currency(code)).unwrap()
}

#[test]
fn decimals_are_read_with_the_currency_precision() {
    let cases = [
        ("12.34", "EUR", 1234),
        ("12.3", "EUR", 1230),
        ("12", "EUR", 1200),
        (" 0.05 ", "EUR", 5),
        ("-12.34", "EUR", -1234),
        ("-0", "EUR", 0),
        ("007.10", "EUR", 710),
        ("1200", "JPY", 1200),
        ("1.5", "KWD", 1500),
        ("1.005", "BHD", 1005),
        ("0.0001", "CLF", 1),
        ("10000000000000.00", "EUR", Money::MAX_AMOUNT),
        ("-10000000000000.00", "EUR", -Money::MAX_AMOUNT),
    ];
    for (text, code, minor) in cases {
        assert_eq!(Money::parse_decimal(text, currency(code)), Ok(money(minor, code)), "{text} {code}");
    }
}

#[test]
fn decimals_are_never_rounded_or_guessed() {
    let eur = currency("EUR");
    assert_eq!(Money::parse_decimal("12.345", eur), Err(MoneyError::TooPrecise(eur)));
    assert_eq!(Money::parse_decimal("12.340", eur), Err(MoneyError::TooPrecise(eur)));
    let jpy = currency("JPY");
    assert_eq!(Money::parse_decimal("12.5", jpy), Err(MoneyError::TooPrecise(jpy)));
    for bad in
        ["", "-", "1,000", "1 000", "+5", ".5", "5.", "1e3", "€5", "5 EUR", "1.2.3", "--5", "0x10", "١٢"]
    {
        assert_eq!(Money::parse_decimal(bad, eur), Err(MoneyError::NotADecimal), "{bad:?}");
    }
    assert_eq!(Money::parse_decimal("10000000000000.01", eur), Err(MoneyError::OutOfRange));
    assert_eq!(Money::parse_decimal(&"9".repeat(400), eur), Err(MoneyError::OutOfRange));
    assert_eq!(Money::parse_decimal(&format!("{}1", "0".repeat(400)), eur), Ok(money(100, "EUR")));
}

#[test]
fn decimals_are_written_with_the_currency_precision() {
    for (minor, code, text) in [
        (1230, "EUR", "12.30"),
        (5, "EUR", "0.05"),
        (-5, "EUR", "-0.05"),
        (-1234, "EUR", "-12.34"),
        (0, "EUR", "0.00"),
        (1200, "JPY", "1200"),
        (-1200, "JPY", "-1200"),
        (1500, "KWD", "1.500"),
        (12345, "CLF", "1.2345"),
    ] {
        assert_eq!(money(minor, code).to_decimal_string(), text);
    }
    assert_eq!(money(1230, "EUR").to_string(), "12.30 EUR");
}

#[test]
fn arithmetic_is_checked() {
    let (eur, usd) = (money(1000, "EUR"), money(1000, "USD"));
    assert_eq!(eur.checked_add(money(234, "EUR")), Ok(money(1234, "EUR")));
    assert_eq!(eur.checked_sub(money(1234, "EUR")), Ok(money(-234, "EUR")));
    assert_eq!(eur.checked_add(usd), Err(MoneyError::CurrencyMismatch(currency("EUR"), currency("USD"))));
    assert_eq!(eur.checked_sub(usd).unwrap_err().to_string(), "mixes EUR and USD");
    let max = money(Money::MAX_AMOUNT, "EUR");
    assert_eq!(max.checked_add(money(1, "EUR")), Err(MoneyError::OutOfRange));
    assert_eq!((-max).checked_sub(money(1, "EUR")), Err(MoneyError::OutOfRange));
    assert_eq!(eur.checked_mul(3), Ok(money(3000, "EUR")));
    assert_eq!(eur.checked_mul(-1), Ok(money(-1000, "EUR")));
    assert_eq!(eur.checked_mul(i64::MAX), Err(MoneyError::OutOfRange));
    assert_eq!(Money::new(Money::MAX_AMOUNT + 1, currency("EUR")), Err(MoneyError::OutOfRange));
    assert_eq!(-money(5, "EUR"), money(-5, "EUR"));
    assert!(Money::zero(currency("EUR")).is_zero() && money(-1, "EUR").is_negative());
}

#[test]
fn scaling_rounds_once_with_the_mode() {
    let half_even = RoundingMode::HalfEven;
    // 19 % of 10.05 EUR = 190.95 cents.
    assert_eq!(money(1005, "EUR").scaled(19, 100, half_even), Ok(money(191, "EUR")));
    // A third of 1.00 EUR, and of −1.00 EUR: mirror images.
    assert_eq!(money(100, "EUR").scaled(1, 3, half_even), Ok(money(33, "EUR")));
    assert_eq!(money(-100, "EUR").scaled(1, 3, half_even), Ok(money(-33, "EUR")));
    // Ties: 2.5 and 3.5 cents.
    assert_eq!(money(5, "EUR").scaled(1, 2, half_even), Ok(money(2, "EUR")));
    assert_eq!(money(5, "EUR").scaled(1, 2, RoundingMode::HalfUp), Ok(money(3, "EUR")));
    assert_eq!(money(7, "EUR").scaled(1, 2, half_even), Ok(money(4, "EUR")));
    assert_eq!(money(-5, "EUR").scaled(1, 2, RoundingMode::HalfUp), Ok(money(-3, "EUR")));
    assert_eq!(money(1, "EUR").scaled(1, 0, half_even), Err(MoneyError::DivisionByZero));
    assert_eq!(money(Money::MAX_AMOUNT, "EUR").scaled(2, 1, half_even), Err(MoneyError::OutOfRange));
    assert_eq!(
        money(Money::MAX_AMOUNT, "EUR").scaled(i64::MAX, i64::MAX, half_even).unwrap().amount_minor(),
        Money::MAX_AMOUNT
    );
}

#[test]
fn rounding_matches_the_documented_table() {
    for (numerator, denominator, even, up) in [
        (25, 10, 2, 3),
        (35, 10, 4, 4),
        (24, 10, 2, 2),
        (26, 10, 3, 3),
        (-25, 10, -2, -3),
        (-35, 10, -4, -4),
        (25, -10, -2, -3),
        (-25, -10, 2, 3),
        (5, 10, 0, 1),
        (-5, 10, 0, -1),
        (15, 10, 2, 2),
    ] {
        assert_eq!(
            divide_rounded(numerator, denominator, RoundingMode::HalfEven),
            Some(even),
            "{numerator}/{denominator}"
        );
        assert_eq!(
            divide_rounded(numerator, denominator, RoundingMode::HalfUp),
            Some(up),
            "{numerator}/{denominator}"
        );
    }
    assert_eq!(divide_rounded(i128::MIN, -1, RoundingMode::HalfUp), None);
    assert_eq!(divide_rounded(i128::MAX, 2, RoundingMode::HalfUp), Some(i128::MAX / 2 + 1));
    assert_eq!(divide_rounded(i128::MIN, 2, RoundingMode::HalfEven), Some(i128::MIN / 2));
    assert_eq!(divide_rounded(i128::MIN + 1, i128::MAX, RoundingMode::HalfEven), Some(-1));
}

#[test]
fn json_is_minor_units_and_a_code() {
    let value = money(1234, "EUR");
    assert_eq!(
        serde_json::to_value(value).unwrap(),
        serde_json::json!({"amount_minor": 1234, "currency": "EUR"})
    );
    let read: Money = serde_json::from_str(r#"{"amount_minor": -5, "currency": "jpy"}"#).unwrap();
    assert_eq!(read, money(-5, "JPY"));
    for (body, message) in [
        (r#"{"amount_minor": 1000000000000001, "currency": "EUR"}"#, "must be between"),
        (r#"{"amount_minor": 12.5, "currency": "EUR"}"#, "invalid type"),
        (r#"{"amount_minor": 1, "currency": "XYZ"}"#, "is not a current ISO 4217 currency code"),
        (r#"{"amount_minor": 1}"#, "missing field `currency`"),
        (r#"{"amount_minor": 1, "currency": "EUR", "extra": 1}"#, "unknown field `extra`"),
    ] {
        let error = serde_json::from_str::<Money>(body).unwrap_err().to_string();
        assert!(error.starts_with(message), "{body}: {error}");
    }
}

/// Any currency in the table.
fn any_currency() -> impl Strategy<Value = Currency> {
    let all: Vec<Currency> = Currency::all().collect();
    proptest::sample::select(all)
}

/// Any amount within the limits, often a small one or one near a limit, where formatting and
/// overflow go wrong if they go wrong at all.
fn any_amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        -Money::MAX_AMOUNT..=Money::MAX_AMOUNT,
        -100_000_i64..=100_000,
        (0_i64..=1000).prop_map(|offset| Money::MAX_AMOUNT - offset),
        (0_i64..=1000).prop_map(|offset| offset - Money::MAX_AMOUNT),
    ]
}

/// Any amount within the limits, in any currency.
fn any_money() -> impl Strategy<Value = Money> {
    (any_amount(), any_currency()).prop_map(|(amount, currency)| Money::new(amount, currency).unwrap())
}

/// Any short text, often made of the characters decimals are made of.
fn any_text() -> impl Strategy<Value = String> {
    let decimal_like = proptest::sample::select("0123456789.-+, e".chars().collect::<Vec<_>>());
    prop_oneof![
        proptest::collection::vec(any::<char>(), 0..30),
        proptest::collection::vec(decimal_like, 0..30),
    ]
    .prop_map(String::from_iter)
}

/// The rounding rule computed another way — from the floor and twice the remainder, on
/// inputs small enough that doubling cannot overflow — to check [`divide_rounded`] against.
fn reference_rounding(numerator: i64, denominator: i64, mode: RoundingMode) -> i128 {
    let (mut numerator, mut denominator) = (i128::from(numerator), i128::from(denominator));
    if denominator < 0 {
        (numerator, denominator) = (-numerator, -denominator);
    }
    let floor = numerator.div_euclid(denominator);
    let twice_fraction = 2 * numerator.rem_euclid(denominator);
    match twice_fraction.cmp(&denominator) {
        std::cmp::Ordering::Less => floor,
        std::cmp::Ordering::Greater => floor + 1,
        // Exactly floor + ½.
        std::cmp::Ordering::Equal => match mode {
            RoundingMode::HalfEven if floor % 2 == 0 => floor,
            RoundingMode::HalfEven => floor + 1,
            // Away from zero: up for a positive value, down (to the floor) for a negative one.
            RoundingMode::HalfUp if floor >= 0 => floor + 1,
            RoundingMode::HalfUp => floor,
        },
    }
}

proptest! {
    #[test]
    fn format_then_parse_is_the_identity(value in any_money()) {
        let text = value.to_decimal_string();
        prop_assert_eq!(Money::parse_decimal(&text, value.currency()), Ok(value), "{}", text);
    }

    #[test]
    fn json_round_trips(value in any_money()) {
        let json = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), value);
    }

    #[test]
    fn addition_is_exact_and_commutative(a in any_amount(), b in any_amount(), currency in any_currency()) {
        let (x, y) = (Money::new(a, currency).unwrap(), Money::new(b, currency).unwrap());
        let exact = i128::from(a) + i128::from(b);
        let in_range = exact.unsigned_abs() <= Money::MAX_AMOUNT.unsigned_abs().into();
        prop_assert_eq!(x.checked_add(y), y.checked_add(x));
        match x.checked_add(y) {
            Ok(sum) => prop_assert_eq!(i128::from(sum.amount_minor()), exact),
            Err(error) => prop_assert!(!in_range && error == MoneyError::OutOfRange),
        }
        prop_assert_eq!(x.checked_add(y).is_ok(), in_range);
    }

    #[test]
    fn subtraction_is_exact_and_undoes_addition(a in any_amount(), b in any_amount(), currency in any_currency()) {
        let (x, y) = (Money::new(a, currency).unwrap(), Money::new(b, currency).unwrap());
        let exact = i128::from(a) - i128::from(b);
        match x.checked_sub(y) {
            Ok(difference) => {
                prop_assert_eq!(i128::from(difference.amount_minor()), exact);
                prop_assert_eq!(difference.checked_add(y), Ok(x));
                prop_assert_eq!(y.checked_sub(x), Ok(-difference));
            }
            Err(error) => prop_assert!(exact.unsigned_abs() > Money::MAX_AMOUNT.unsigned_abs().into() && error == MoneyError::OutOfRange),
        }
    }

    #[test]
    fn currencies_never_mix(x in any_money(), y in any_money()) {
        if x.currency() != y.currency() {
            let mismatch = Err(MoneyError::CurrencyMismatch(x.currency(), y.currency()));
            prop_assert_eq!(x.checked_add(y), mismatch);
            prop_assert_eq!(x.checked_sub(y), mismatch);
        }
    }

    #[test]
    fn checked_operations_never_panic(x in any_money(), y in any_money(), factor in any::<i64>(), numerator in any::<i64>(), denominator in any::<i64>(), text in any_text()) {
        let _ = x.checked_add(y);
        let _ = x.checked_sub(y);
        let _ = -x;
        if let Ok(product) = x.checked_mul(factor) {
            prop_assert_eq!(i128::from(product.amount_minor()), i128::from(x.amount_minor()) * i128::from(factor));
        }
        for mode in [RoundingMode::HalfEven, RoundingMode::HalfUp] {
            let _ = x.scaled(numerator, denominator, mode);
            let _ = divide_rounded(i128::from(numerator) << 64, i128::from(denominator), mode);
        }
        let _ = Money::parse_decimal(&text, x.currency());
        let _ = Currency::parse(&text);
    }

    #[test]
    fn rounding_matches_the_reference(numerator in any::<i64>(), denominator in any::<i64>().prop_filter("non-zero", |d| *d != 0)) {
        for mode in [RoundingMode::HalfEven, RoundingMode::HalfUp] {
            prop_assert_eq!(
                divide_rounded(i128::from(numerator), i128::from(denominator), mode),
                Some(reference_rounding(numerator, denominator, mode))
            );
        }
    }

    #[test]
    fn ties_round_as_documented(quotient in -1_000_000_i64..1_000_000, denominator in 1_i64..1_000_000) {
        // (2·quotient + 1)·d / 2d is exactly quotient + ½.
        let (numerator, denominator) = (i128::from(2 * quotient + 1) * i128::from(denominator), 2 * i128::from(denominator));
        let even = if quotient % 2 == 0 { quotient } else { quotient + 1 };
        let away = if quotient >= 0 { quotient + 1 } else { quotient };
        prop_assert_eq!(divide_rounded(numerator, denominator, RoundingMode::HalfEven), Some(i128::from(even)));
        prop_assert_eq!(divide_rounded(numerator, denominator, RoundingMode::HalfUp), Some(i128::from(away)));
    }
}
