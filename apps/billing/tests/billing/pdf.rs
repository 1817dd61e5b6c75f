//! Invoice and credit-note PDFs through the API, read back with poppler: `pdftotext` for the
//! number, the lines and the totals in each currency and locale, `pdfinfo` for the pages,
//! and `pdftoppm` for PNGs to look at in `target/pdf-review/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use baseops_core::Currency;
use baseops_pdf::Locale;
use baseops_pdf::format::money;
use baseops_test_support::services::poppler;
use baseops_test_support::{Client, TestApp, TestResponse};
use http::Method;
use serde_json::{Value, json};

use crate::support::{act, customer, draft, simple_draft, tax_rate};

fn review_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pdf-review");
    std::fs::create_dir_all(&dir).expect("target/pdf-review");
    dir
}

/// Saves the PDF and its pages as PNGs for review; the text `pdftotext -layout` reads.
fn read_back(tools: &Path, pdf: &[u8], name: &str) -> String {
    let path = review_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("the PDF is saved");
    let pngs = Command::new(tools.join("pdftoppm"))
        .args(["-png", "-r", "50"])
        .arg(&path)
        .arg(review_dir().join(name))
        .status()
        .expect("pdftoppm runs");
    assert!(pngs.success(), "pdftoppm failed on {}", path.display());
    let text = Command::new(tools.join("pdftotext"))
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    String::from_utf8(text.stdout).expect("UTF-8 text")
}

fn pages(tools: &Path, pdf: &[u8], name: &str) -> usize {
    let path = review_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("the PDF is saved");
    let info = Command::new(tools.join("pdfinfo")).arg(&path).output().expect("pdfinfo runs");
    let info = String::from_utf8_lossy(&info.stdout);
    let line = info.lines().find(|line| line.starts_with("Pages:")).expect("a page count");
    line["Pages:".len()..].trim().parse().expect("a number")
}

/// A successful PDF answer, with its file name.
fn assert_pdf(response: &TestResponse, filename: &str) {
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/pdf"));
    let disposition = format!("attachment; filename=\"{filename}\"");
    assert_eq!(response.header("content-disposition"), Some(disposition.as_str()));
    assert!(response.body.starts_with(b"%PDF-"));
}

fn assert_holds(text: &str, expected: &[String]) {
    for needle in expected {
        assert!(text.contains(needle.as_str()), "{needle:?} is not in the PDF's text:\n{text}");
    }
}

const DESCRIPTIONS: [&str; 3] = ["Design workshop", "Hosting (December)", "Support hours"];

/// A finalized invoice of three lines at 19 % with 25 units off, in `currency`.
async fn invoice_in(app: &TestApp, owner: &Client, buyer: &str, vat: &str, currency: &str) -> Value {
    let lines = json!([
        {"description": DESCRIPTIONS[0], "quantity": "2.5", "unit_amount": 40_000, "tax_rate_ids": [vat]},
        {"description": DESCRIPTIONS[1], "quantity": 1, "unit_amount": 10_000, "tax_rate_ids": [vat]},
        {"description": DESCRIPTIONS[2], "quantity": 3, "unit_amount": 5_000, "tax_rate_ids": [vat],
         "discount": {"percent": "10"}},
    ]);
    let body = json!({"customer_id": buyer, "currency": currency, "lines": lines,
        "discount": {"amount": 2_500}, "memo": "Thank you for your order."});
    let made = draft(app, owner, body).await;
    let finalized = act(app, owner, made["id"].as_str().unwrap(), "finalize").await;
    assert_eq!(finalized.status, 200, "{}", finalized.text());
    finalized.json()
}

#[tokio::test]
async fn invoices_print_their_number_lines_and_totals_in_each_currency_and_locale() {
    let Some(tools) = poppler() else { return };
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Ada").await;
    let vat = tax_rate(&app, &owner, "VAT", "19", false).await;
    // Subtotal 2.5 × 400 + 100 + 3 × 50 = 1,250 major units, exactly, in each currency.
    let subtotals = [
        ("EUR", "€1,250.00", "1.250,00 €"),
        ("JPY", "¥125,000", "125.000 ¥"),
        ("KWD", "KWD 125.000", "125,000 KWD"),
    ];
    for (code, subtotal_en, subtotal_de) in subtotals {
        let invoice = invoice_in(&app, &owner, &buyer, &vat, code).await;
        let id = invoice["id"].as_str().unwrap();
        let number = invoice["number"].as_str().unwrap();
        let currency = Currency::parse(code).unwrap();
        for (locale, subtotal, words) in [
            (Locale::En, subtotal_en, ["Invoice", "Page 1 of 1"]),
            (Locale::De, subtotal_de, ["Rechnung", "Seite 1 von 1"]),
        ] {
            let path = format!("/api/v1/billing/invoices/{id}/pdf?locale={}", locale.code());
            let response = owner.get(&app, &path).await;
            assert_pdf(&response, &format!("{number}.pdf"));
            let text = read_back(&tools, &response.body, &format!("invoice-{code}-{}", locale.code()));
            let figure = |field: &str| money(invoice[field].as_i64().unwrap(), currency, locale);
            let mut expected: Vec<String> = vec![number.to_owned(), "Acme".to_owned(), "Ada".to_owned()];
            expected.extend(DESCRIPTIONS.map(str::to_owned));
            expected.extend(words.map(str::to_owned));
            expected.push(subtotal.to_owned());
            expected.extend(["discount_total", "tax_total", "total", "amount_due"].map(figure));
            expected.push("Thank you for your order.".to_owned());
            assert_holds(&text, &expected);
        }
    }
    // The figures spelled out once: 25.00 off the invoice plus 10 % of 150.00 off a line.
    let invoice = invoice_in(&app, &owner, &buyer, &vat, "EUR").await;
    let response = owner
        .get(&app, &format!("/api/v1/billing/invoices/{}/pdf?locale=de", invoice["id"].as_str().unwrap()))
        .await;
    let text = read_back(&tools, &response.body, "invoice-EUR-de-again");
    assert_holds(&text, &["-40,00 €".to_owned(), "Rabatt 10 %".to_owned(), "VAT 19 %".to_owned()]);
}

#[tokio::test]
async fn a_long_invoice_runs_over_pages_and_a_draft_is_marked() {
    let Some(tools) = poppler() else { return };
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Bo").await;
    let lines: Vec<Value> = (1..=120)
        .map(|n| json!({"description": format!("Item number {n} of the long order"), "quantity": n, "unit_amount": 1_050}))
        .collect();
    let made = draft(&app, &owner, json!({"customer_id": buyer, "lines": lines})).await;
    let id = made["id"].as_str().unwrap();
    let response = owner.get(&app, &format!("/api/v1/billing/invoices/{id}/pdf")).await;
    assert_pdf(&response, &format!("draft-{id}.pdf"));
    let count = pages(&tools, &response.body, "invoice-long-draft");
    assert!(count >= 2, "{count} page(s) for 120 lines");
    let text = read_back(&tools, &response.body, "invoice-long-draft");
    let total = money(made["total"].as_i64().unwrap(), Currency::parse("EUR").unwrap(), Locale::En);
    let mut expected =
        vec!["DRAFT".to_owned(), "Item number 1 of".to_owned(), "Item number 120 of".to_owned(), total];
    expected.push(format!("Page {count} of {count}"));
    assert_holds(&text, &expected);
    // The heading row is repeated on every page.
    assert_eq!(text.matches("Description").count(), count);
}

#[tokio::test]
async fn a_credit_note_prints_its_number_invoice_and_amount() {
    let Some(tools) = poppler() else { return };
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Cy").await;
    let invoice = simple_draft(&app, &owner, &buyer, 123_456).await;
    let id = invoice["id"].as_str().unwrap();
    let number = act(&app, &owner, id, "finalize").await.json()["number"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/billing/invoices/{id}/credit-notes");
    let body = json!({"amount": 23_456, "reason": "order_change", "memo": "Two seats fewer"});
    let note = owner.send(&app, Method::POST, &path, Some(body), &[("idempotency-key", "pdf-cn-1")]).await;
    assert_eq!(note.status, 201, "{}", note.text());
    let note = note.json();
    let note_number = note["number"].as_str().unwrap();
    let response = owner
        .get(&app, &format!("/api/v1/billing/credit-notes/{}/pdf?locale=de", note["id"].as_str().unwrap()))
        .await;
    assert_pdf(&response, &format!("{note_number}.pdf"));
    let text = read_back(&tools, &response.body, "credit-note-de");
    let expected = [note_number, &number, "Gutschrift", "234,56 €", "Bestelländerung", "Two seats fewer"];
    assert_holds(&text, &expected.map(str::to_owned));
}

#[tokio::test]
async fn pdfs_are_refused_to_other_organizations_other_roles_and_unknown_locales() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Di").await;
    let invoice = simple_draft(&app, &owner, &buyer, 5_000).await;
    let id = invoice["id"].as_str().unwrap();
    act(&app, &owner, id, "finalize").await;
    let path = format!("/api/v1/billing/invoices/{id}/credit-notes");
    let body = json!({"amount": 1_000, "reason": "other"});
    let note =
        owner.send(&app, Method::POST, &path, Some(body), &[("idempotency-key", "pdf-cn-2")]).await.json();
    let invoice_pdf = format!("/api/v1/billing/invoices/{id}/pdf");
    let note_pdf = format!("/api/v1/billing/credit-notes/{}/pdf", note["id"].as_str().unwrap());

    let stranger = app.organization("Elsewhere").await.owner;
    stranger.get(&app, &invoice_pdf).await.assert_problem(404, "not_found");
    stranger.get(&app, &note_pdf).await.assert_problem(404, "not_found");
    let marketer = app.as_role("marketer").await;
    marketer.get(&app, &invoice_pdf).await.assert_problem(403, "forbidden");
    marketer.get(&app, &note_pdf).await.assert_problem(403, "forbidden");
    for locale in ["xx", "de-DE", "EN"] {
        let refused = owner
            .get(&app, &format!("{invoice_pdf}?locale={locale}"))
            .await
            .assert_problem(422, "validation_failed");
        assert!(refused["errors"]["locale"].is_array(), "{refused}");
    }
    owner.get(&app, &format!("{note_pdf}?locale=jp")).await.assert_problem(422, "validation_failed");
    let sales = app.as_role("sales").await;
    assert_eq!(
        sales.get(&app, &format!("{invoice_pdf}?locale=fr")).await.status,
        200,
        "billing.view suffices"
    );
}

#[tokio::test]
async fn the_openapi_document_declares_the_pdf_downloads() {
    let app = TestApp::new().await;
    let document = app.get("/api/openapi.json").await.json();
    for path in ["/api/v1/billing/invoices/{id}/pdf", "/api/v1/billing/credit-notes/{id}/pdf"] {
        let operation = &document["paths"][path]["get"];
        let ok = &operation["responses"]["200"]["content"]["application/pdf"]["schema"];
        assert_eq!(
            (ok["type"].as_str(), ok["format"].as_str()),
            (Some("string"), Some("binary")),
            "{path}: {ok}"
        );
        for status in ["401", "403", "404", "422"] {
            assert!(operation["responses"][status].is_object(), "{path} does not declare {status}");
        }
        let locale = operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|parameter| parameter["name"] == "locale");
        let locale = locale.unwrap_or_else(|| panic!("{path} has no locale parameter"));
        assert_eq!(locale["in"], "query");
        assert_eq!(locale["schema"]["enum"], json!(["en", "de", "fr"]), "{path}: {locale}");
    }
}

#[tokio::test]
async fn the_customers_profile_sets_the_address_language_and_reverse_charge_note() {
    let Some(tools) = poppler() else { return };
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let profile = json!({
        "name": "Acme", "legal_name": "Acme GmbH", "locale": "de-DE", "tax_exempt": "reverse",
        "billing_address": {"line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"},
        "tax_ids": [{"type": "eu_vat", "value": "DE123456789"}],
    });
    let made = owner.post(&app, "/api/v1/customers", profile).await;
    assert_eq!(made.status, 201, "{}", made.text());
    let buyer = made.json()["id"].as_str().unwrap().to_owned();
    let lines = json!([{"description": "Beratung", "quantity": 1, "unit_amount": 123_456}]);
    let id = draft(&app, &owner, json!({"customer_id": buyer, "lines": lines})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let number = act(&app, &owner, &id, "finalize").await.json()["number"].as_str().unwrap().to_owned();
    let pdf = owner.get(&app, &format!("/api/v1/billing/invoices/{id}/pdf")).await;
    assert_pdf(&pdf, &format!("{number}.pdf"));
    let text = read_back(&tools, &pdf.body, "profile-de");
    let expected =
        ["Acme GmbH", "Hauptstr. 1", "10115 Berlin", "USt-IdNr. DE123456789", "1.234,56 €", "Reverse Charge"];
    assert_holds(&text, &expected.map(str::to_owned));
    let english = owner.get(&app, &format!("/api/v1/billing/invoices/{id}/pdf?locale=en")).await;
    let text = read_back(&tools, &english.body, "profile-en");
    assert_holds(
        &text,
        &["€1,234.56".to_owned(), "Tax ID DE123456789".to_owned(), "Reverse charge".to_owned()],
    );
}
