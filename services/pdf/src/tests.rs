//! Formats, the font tables, and the writer (through poppler's `pdftotext` when installed).

use baseops_core::Currency;
use chrono::NaiveDate;

use crate::font::{Font, encode, wrap};
use crate::format::{date, decimal, money};
use crate::{Align, Column, Document, Locale, Party, SummaryRow, Table, render};

fn currency(code: &str) -> Currency {
    Currency::parse(code).expect("a currency")
}

#[test]
fn money_follows_the_currency_exponent_and_the_locale() {
    let cases = [
        (123_456, "EUR", Locale::En, "€1,234.56"),
        (-500, "EUR", Locale::En, "-€5.00"),
        (123_456, "EUR", Locale::De, "1.234,56 €"),
        (-500, "EUR", Locale::De, "-5,00 €"),
        (123_456, "EUR", Locale::Fr, "1\u{a0}234,56 €"),
        (1_235, "JPY", Locale::En, "¥1,235"),
        (1_235, "JPY", Locale::De, "1.235 ¥"),
        (1_234_567, "KWD", Locale::En, "KWD 1,234.567"),
        (1_235, "KWD", Locale::De, "1,235 KWD"),
        (5, "USD", Locale::En, "$0.05"),
        (100_000_000, "GBP", Locale::En, "£1,000,000.00"),
        (0, "CHF", Locale::En, "CHF 0.00"),
        (12_345, "CLF", Locale::En, "CLF 1.2345"),
    ];
    for (amount, code, locale, expected) in cases {
        assert_eq!(money(amount, currency(code), locale), expected, "{amount} {code} {locale:?}");
    }
    // The extremes do not overflow.
    assert_eq!(money(i64::MIN, currency("JPY"), Locale::En), "-¥9,223,372,036,854,775,808");
}

#[test]
fn decimals_trim_trailing_zeros_and_dates_follow_the_locale() {
    assert_eq!(decimal(25_000, Locale::En), "2.5");
    assert_eq!(decimal(25_000, Locale::De), "2,5");
    assert_eq!(decimal(10_000, Locale::En), "1");
    assert_eq!(decimal(12_345_678, Locale::En), "1,234.5678");
    assert_eq!(decimal(12_345_678, Locale::De), "1.234,5678");
    assert_eq!(decimal(-1, Locale::En), "-0.0001");
    let day = NaiveDate::from_ymd_opt(2026, 12, 6).expect("a day");
    assert_eq!(date(day, Locale::En), "6 Dec 2026");
    assert_eq!(date(day, Locale::De), "06.12.2026");
    assert_eq!(date(day, Locale::Fr), "06/12/2026");
}

#[test]
fn locale_tags_parse_by_language_and_fall_back_to_english() {
    assert_eq!(Locale::parse("de-DE"), Locale::De);
    assert_eq!(Locale::parse("fr_CH"), Locale::Fr);
    assert_eq!(Locale::parse("EN"), Locale::En);
    assert_eq!(Locale::parse("ja-JP"), Locale::En);
    assert_eq!(Locale::from_tag("ja"), None);
    assert_eq!(Locale::from_tag(""), None);
}

#[test]
fn text_maps_to_win_ansi_and_the_rest_to_a_question_mark() {
    assert_eq!(encode("A€£¥é"), vec![b'A', 0x80, 0xA3, 0xA5, 0xE9]);
    assert_eq!(
        encode("“Straße” – ok…"),
        vec![0x93, b'S', b't', b'r', b'a', 0xDF, b'e', 0x94, b' ', 0x96, b' ', b'o', b'k', 0x85]
    );
    assert_eq!(encode("中ł\u{1}"), b"???".to_vec());
}

#[test]
fn widths_come_from_the_afm_tables() {
    // "Hello" in Helvetica: 722 + 556 + 222 + 222 + 556 = 2278 thousandths.
    assert!((Font::Regular.measure(&encode("Hello"), 10.0) - 22.78).abs() < 0.001);
    assert!(Font::Bold.measure(b"Hello", 10.0) > Font::Regular.measure(b"Hello", 10.0));
    assert!((Font::Regular.measure(&encode("€"), 1000.0) - 556.0).abs() < 0.001);
}

#[test]
fn wrapping_keeps_lines_within_the_width_and_cuts_overlong_words() {
    let text = "A long description of consulting work, delivered over several weeks\nSecond paragraph";
    let lines = wrap(text, Font::Regular, 9.0, 120.0);
    assert!(lines.len() >= 3, "{lines:?}");
    assert!(lines.iter().all(|line| Font::Regular.measure(line, 9.0) <= 120.0));
    assert_eq!(lines.last().map(Vec::as_slice), Some(&b"Second paragraph"[..]));
    let cut = wrap(&"x".repeat(200), Font::Regular, 9.0, 50.0);
    assert!(cut.len() > 5 && cut.iter().all(|line| Font::Regular.measure(line, 9.0) <= 50.0));
    assert_eq!(cut.concat().len(), 200);
    assert_eq!(wrap("", Font::Regular, 9.0, 50.0), vec![Vec::<u8>::new()]);
}

/// An invoice-like document with `rows` lines.
pub(crate) fn sample(rows: usize, draft: bool) -> Document {
    let eur = currency("EUR");
    Document {
        locale: Locale::En,
        title: "Invoice".into(),
        number: if draft { String::new() } else { "INV-2026-000042".into() },
        issuer: Party { name: "Acme GmbH".into(), lines: vec!["Hauptstraße 1".into(), "10115 Berlin".into()] },
        recipient: Party { name: "Zoë Müller".into(), lines: vec!["zoe@example.com".into()] },
        recipient_label: "Bill to".into(),
        facts: vec![("Issued".into(), "6 Dec 2026".into()), ("Due".into(), "5 Jan 2027".into())],
        table: Table {
            columns: vec![
                Column::new("Description", Align::Left, 5.0),
                Column::new("Qty", Align::Right, 1.0),
                Column::new("Unit price", Align::Right, 1.6),
                Column::new("Amount", Align::Right, 1.6),
            ],
            rows: (1..=rows)
                .map(|row| {
                    let description = if row % 7 == 0 {
                        format!("Line {row}: a longer description that has to wrap within its cell, twice over at least, because it keeps going")
                    } else {
                        format!("Line {row}")
                    };
                    vec![description, decimal(25_000, Locale::En), money(10_000, eur, Locale::En), money(25_000, eur, Locale::En)]
                })
                .collect(),
        },
        summary: vec![
            SummaryRow::new("Subtotal", money(250_000, eur, Locale::En), false),
            SummaryRow::new("VAT 19 %", money(47_500, eur, Locale::En), false),
            SummaryRow::new("Total", money(297_500, eur, Locale::En), true),
        ],
        notes: vec!["Thank you for your business.".into()],
        footer: Some("Acme GmbH · IBAN DE00 0000 0000 0000 0000 00".into()),
        draft,
    }
}

fn page_count(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    let at = text.find("/Count ").expect("a page tree") + "/Count ".len();
    text[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a count")
}

#[test]
fn the_writer_makes_a_complete_pdf_and_flows_long_tables_onto_more_pages() {
    let short = render(&sample(3, false));
    assert!(short.starts_with(b"%PDF-"));
    assert!(short.trim_ascii_end().ends_with(b"%%EOF"));
    assert_eq!(page_count(&short), 1);
    let long = render(&sample(200, false));
    assert!(page_count(&long) > 1, "{} pages", page_count(&long));
    // A long footer moves to the end; a description longer than a page is split.
    let mut odd = sample(2, true);
    odd.footer = Some("Terms. ".repeat(400));
    odd.table.rows[0][0] = "word ".repeat(3000);
    assert!(page_count(&render(&odd)) >= 2);
    // Same input, same bytes: nothing time-dependent is written.
    assert_eq!(render(&sample(5, false)), render(&sample(5, false)));
}

/// The text poppler reads back, `None` when poppler-utils is not installed.
fn pdftotext(pdf: &[u8], name: &str) -> Option<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pdf-review");
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(name);
    std::fs::write(&path, pdf).ok()?;
    let output = std::process::Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output().ok()?;
    assert!(output.status.success(), "pdftotext: {}", String::from_utf8_lossy(&output.stderr));
    Some(String::from_utf8_lossy(&output.stdout).replace('\u{a0}', " "))
}

#[test]
fn poppler_reads_the_text_back() {
    let pdf = render(&sample(200, true));
    let Some(text) = pdftotext(&pdf, "unit-sample.pdf") else {
        eprintln!("SKIPPED: pdftotext is not installed (apt-get install poppler-utils)");
        return;
    };
    for expected in
        ["Acme GmbH", "Hauptstraße 1", "Zoë Müller", "BILL TO", "Line 1 ", "Line 200", "€2,975.00"]
    {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    let pages = page_count(&pdf);
    assert!(text.contains(&format!("Page {pages} of {pages}")), "no last page number");
    assert!(text.contains("DRAFT"));
    // The heading row is repeated on every page.
    assert_eq!(text.matches("Description").count(), pages);
}
