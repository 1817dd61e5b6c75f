//! Renders a 20-line invoice again and again and prints the time per render (p50, p99, max)
//! and the process's peak RSS: what `bench/pdf.sh` runs, in a release build.
//!
//! `cargo run --release -p baseops-pdf --example render -- [RENDERS] [OUT.pdf]`

use std::time::{Duration, Instant};

use baseops_core::Currency;
use baseops_pdf::format::{date, decimal, money};
use baseops_pdf::{Align, Column, Document, Locale, Party, SummaryRow, Table, render};

/// The kind of invoice the benchmark renders: 20 lines, a tax, a discount, a memo and a footer.
fn invoice(locale: Locale) -> Document {
    let eur = Currency::parse("EUR").expect("EUR");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).expect("a day");
    let rows: Vec<Vec<String>> = (1..=20_i64)
        .map(|n| {
            let description = if n % 5 == 0 {
                format!("Consulting, week {n}: workshops, reviews and the written report of findings")
            } else {
                format!("Licence seat {n}")
            };
            vec![
                description,
                decimal(n * 2_500, locale),
                money(9_900, eur, locale),
                "19 %".into(),
                money(n * 2_475, eur, locale),
            ]
        })
        .collect();
    Document {
        locale,
        title: "Invoice".into(),
        number: "INV-2026-000042".into(),
        issuer: Party {
            name: "Acme GmbH".into(),
            lines: vec!["Hauptstraße 1".into(), "10115 Berlin".into()],
        },
        recipient: Party {
            name: "Müller & Söhne KG".into(), lines: vec!["buchhaltung@example.com".into()]
        },
        recipient_label: "Bill to".into(),
        facts: vec![
            ("Issued".into(), date(day, locale)),
            ("Due".into(), date(day + chrono::Days::new(30), locale)),
        ],
        table: Table {
            columns: vec![
                Column::new("Description", Align::Left, 5.0),
                Column::new("Qty", Align::Right, 1.0),
                Column::new("Unit price", Align::Right, 1.7),
                Column::new("Tax", Align::Right, 1.1),
                Column::new("Amount", Align::Right, 1.8),
            ],
            rows,
        },
        summary: vec![
            SummaryRow::new("Subtotal", money(519_750, eur, locale), false),
            SummaryRow::new("Discount", money(-2_500, eur, locale), false),
            SummaryRow::new("VAT 19 %", money(98_277, eur, locale), false),
            SummaryRow::new("Total", money(615_527, eur, locale), true),
            SummaryRow::new("Amount due", money(615_527, eur, locale), true),
        ],
        notes: vec!["Thank you for your business.".into()],
        footer: Some("Acme GmbH · Amtsgericht Berlin HRB 000000 · IBAN DE00 0000 0000 0000 0000 00".into()),
        draft: false,
    }
}

/// The peak resident set size in KiB (`VmHWM`), 0 where /proc is missing.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).unwrap_or(0)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let renders: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1_000).max(1);
    let out = args.next();
    let document = invoice(Locale::De);
    let rss_before = peak_rss_kib();
    let mut times = Vec::with_capacity(renders);
    let mut bytes = 0;
    for _ in 0..renders {
        let started = Instant::now();
        let pdf = render(&document);
        times.push(started.elapsed());
        bytes = pdf.len();
        if let Some(path) = out.as_deref() {
            std::fs::write(path, &pdf).expect("the PDF is written");
        }
    }
    times.sort();
    let at = |quantile: f64| times[((times.len() - 1) as f64 * quantile).round() as usize];
    println!("renders     {renders} (20-line invoice, {bytes} bytes each)");
    println!("p50 ms      {:.3}", millis(at(0.50)));
    println!("p99 ms      {:.3}", millis(at(0.99)));
    println!("max ms      {:.3}", millis(times[times.len() - 1]));
    println!("total s     {:.3}", times.iter().sum::<Duration>().as_secs_f64());
    println!(
        "peak RSS    {:.1} MiB (before rendering {:.1} MiB)",
        peak_rss_kib() as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
}
