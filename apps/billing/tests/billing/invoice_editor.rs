//! The console's invoice editor: totals recomputed by the server as lines are typed (the htmx
//! fragment, and the whole page without JavaScript), a draft saved with exactly the lines
//! typed, refusals shown beside the row they are about with nothing saved, and the editor
//! closed without `billing.create`.

use axum::body::Body;
use baseops_test_support::{Client, TestApp, TestResponse, csrf_token_in};
use http::{Method, header};

use crate::support::{customer, tax_rate};

/// Posts the editor's form as htmx does: the fields, the CSRF header, `HX-Request`.
async fn htmx_post(app: &TestApp, person: &Client, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let request = person
        .request(Method::POST, path, &[("hx-request", "true")])
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

async fn invoices_of(app: &TestApp, person: &Client) -> Vec<serde_json::Value> {
    let list = person.get(app, "/api/v1/billing/invoices").await;
    assert_eq!(list.status, 200, "{}", list.text());
    list.json()["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_editor_totals_lines_as_typed_and_saves_exactly_that_draft() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let nia = customer(&app, &owner, "Nia").await;
    let vat = tax_rate(&app, &owner, "VAT 10", "10", false).await;
    let accountant = app.signed_in_as_role("accountant").await;
    let page = accountant.get(&app, &format!("/admin/invoices/new?customer_id={nia}")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    assert!(text.contains("Nia Ltd") && text.contains("VAT 10"), "customers and rates offered: {text}");
    assert!(text.contains(&format!("<option value=\"{nia}\" selected>")), "the customer is chosen");
    let csrf = csrf_token_in(&text);

    let fields = [
        ("csrf_token", csrf.as_str()),
        ("customer_id", nia.as_str()),
        ("description_0", "Design"),
        ("quantity_0", "2"),
        ("unit_amount_0", "12.50"),
        ("tax_rate_id_0", vat.as_str()),
        ("description_2", "Hosting"),
        ("quantity_2", "1.5"),
        ("unit_amount_2", "10"),
    ];
    // 2 × 12.50 + 10 % = 27.50; 1.5 × 10.00 = 15.00; total 42.50.
    let fragment = htmx_post(&app, &accountant, "/admin/invoices/new/totals", &fields).await;
    assert_eq!(fragment.status, 200, "{}", fragment.text());
    let figures = fragment.text();
    assert!(!figures.contains("<html"), "a fragment for htmx: {figures}");
    for shown in ["40.00 EUR", "2.50 EUR", "42.50 EUR"] {
        assert!(figures.contains(shown), "the totals show {shown}: {figures}");
    }
    let without_js = accountant.post_form(&app, "/admin/invoices/new/totals", &fields).await;
    assert_eq!(without_js.status, 200);
    let whole = without_js.text();
    assert!(whole.contains("<html") && whole.contains("42.50 EUR") && whole.contains("value=\"Hosting\""));
    assert!(invoices_of(&app, &owner).await.is_empty(), "totals save nothing");

    let saved = accountant.post_form(&app, "/admin/invoices/new", &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let location = saved.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    let invoices = invoices_of(&app, &owner).await;
    assert_eq!(invoices.len(), 1);
    let id = invoices[0]["id"].as_str().unwrap();
    assert_eq!(location, format!("/admin/invoices/{id}?done=created"));
    let invoice = owner.get(&app, &format!("/api/v1/billing/invoices/{id}")).await.json();
    assert_eq!((invoice["status"].as_str(), invoice["total"].as_i64()), (Some("draft"), Some(4_250)));
    let lines = invoice["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "blank rows are skipped: {invoice}");
    assert_eq!((lines[0]["description"].as_str(), lines[0]["tax"].as_i64()), (Some("Design"), Some(250)));
    assert_eq!(
        (lines[1]["description"].as_str(), lines[1]["total"].as_i64()),
        (Some("Hosting"), Some(1_500))
    );
    let shown = accountant.get(&app, &location).await.text();
    assert!(shown.contains("The draft is saved"), "{shown}");
}

#[tokio::test]
async fn a_refused_editor_shows_the_row_at_fault_and_saves_nothing() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let nia = customer(&app, &owner, "Nia").await;
    let person = app.signed_in_as_role("accountant").await;
    let csrf = csrf_token_in(&person.get(&app, "/admin/invoices/new").await.text());
    let typed = |quantity: &'static str, amount: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("customer_id", nia.clone()),
            ("description_0", "Fine".to_owned()),
            ("quantity_0", "1".to_owned()),
            ("unit_amount_0", "5".to_owned()),
            ("description_3", "Wrong".to_owned()),
            ("quantity_3", quantity.to_owned()),
            ("unit_amount_3", amount.to_owned()),
        ]
    };
    for (quantity, amount, field) in
        [("two", "5", "quantity_3"), ("1", "5,00.1", "unit_amount_3"), ("-1", "5", "quantity_3")]
    {
        let fields = typed(quantity, amount);
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let refused = person.post_form(&app, "/admin/invoices/new", &pairs).await;
        assert_eq!(refused.status, 422, "{quantity} {amount}: {}", refused.text());
        let text = refused.text();
        assert!(text.contains(&format!("id=\"invoice-{field}-error\"")), "{field} is marked: {text}");
        assert!(text.contains("value=\"Wrong\""), "what was typed is shown again");
        let fragment = htmx_post(&app, &person, "/admin/invoices/new/totals", &pairs).await;
        assert_eq!(fragment.status, 200);
        assert!(
            fragment.text().contains("The totals show once the lines are complete"),
            "{}",
            fragment.text()
        );
    }
    let no_customer =
        [("csrf_token", csrf.as_str()), ("description_0", "A"), ("quantity_0", "1"), ("unit_amount_0", "1")];
    let refused = person.post_form(&app, "/admin/invoices/new", &no_customer).await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("choose a customer"));
    let empty =
        person.post_form(&app, "/admin/invoices/new", &[("csrf_token", &csrf), ("customer_id", &nia)]).await;
    assert_eq!(empty.status, 422);
    assert!(empty.text().contains("fill in at least one line"));
    assert!(invoices_of(&app, &owner).await.is_empty(), "nothing was saved");

    let marketer = app.signed_in_as_role("marketer").await;
    assert_eq!(marketer.get(&app, "/admin/invoices/new").await.status, 403);
    let csrf = csrf_token_in(&marketer.get(&app, "/admin/tasks").await.text());
    let pairs = [
        ("csrf_token", csrf.as_str()),
        ("customer_id", nia.as_str()),
        ("description_0", "A"),
        ("quantity_0", "1"),
        ("unit_amount_0", "1"),
    ];
    assert_eq!(marketer.post_form(&app, "/admin/invoices/new", &pairs).await.status, 403);
    assert_eq!(htmx_post(&app, &marketer, "/admin/invoices/new/totals", &pairs).await.status, 403);
    assert!(invoices_of(&app, &owner).await.is_empty());
}
