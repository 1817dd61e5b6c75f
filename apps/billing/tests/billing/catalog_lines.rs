//! Invoice lines from the catalog: a `price_id` fills the line from the price and its product,
//! what the line gives wins, and a price that does not fit the invoice is a 422 by line that
//! writes nothing.

use baseops_test_support::{Client, TestApp};
use http::Method;
use serde_json::{Value, json};

use crate::support::{act, customer, draft, invoice, tax_rate};

/// A product with `rates`; its id.
async fn product(app: &TestApp, member: &Client, name: &str, rates: &[&str]) -> String {
    let made =
        member.post(app, "/api/v1/billing/products", json!({"name": name, "tax_rate_ids": rates})).await;
    assert_eq!(made.status, 201, "{}", made.text());
    made.json()["id"].as_str().unwrap().to_owned()
}

/// A price of `product`; its id.
async fn price(app: &TestApp, member: &Client, product: &str, body: Value) -> String {
    let made = member.post(app, &format!("/api/v1/billing/products/{product}/prices"), body).await;
    assert_eq!(made.status, 201, "{}", made.text());
    made.json()["id"].as_str().unwrap().to_owned()
}

/// `PATCH path` with `If-Match` of `version`.
async fn patch(
    app: &TestApp,
    member: &Client,
    path: &str,
    version: i64,
    body: Value,
) -> baseops_test_support::TestResponse {
    member.send(app, Method::PATCH, path, Some(body), &[("if-match", &format!("\"{version}\""))]).await
}

async fn invoice_count(app: &TestApp, member: &Client) -> usize {
    member.get(app, "/api/v1/billing/invoices").await.json()["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_priced_line_takes_the_amount_the_product_name_and_its_live_rates() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Ada").await;
    let vat = tax_rate(&app, &owner, "VAT 20", "20", false).await;
    let old = tax_rate(&app, &owner, "Old levy", "5", false).await;
    let setup = product(&app, &owner, "Setup fee", &[&vat, &old]).await;
    let archived_rate =
        patch(&app, &owner, &format!("/api/v1/billing/tax-rates/{old}"), 1, json!({"archived": true})).await;
    assert_eq!(archived_rate.status, 200, "{}", archived_rate.text());
    let eur = price(&app, &owner, &setup, json!({"unit_amount": 10_000, "currency": "EUR"})).await;

    let lines = json!([
        {"price_id": eur, "quantity": "2"},
        {"price_id": eur, "quantity": 1, "unit_amount": 5_000, "description": "Setup, second site", "tax_rate_ids": []},
    ]);
    let made = draft(&app, &owner, json!({"customer_id": buyer, "currency": "EUR", "lines": lines})).await;
    let [first, second] = made["lines"].as_array().unwrap().clone().try_into().unwrap();
    assert_eq!(first["price_id"], eur.as_str());
    assert_eq!(first["description"], "Setup fee");
    assert_eq!(first["unit_amount"], 10_000);
    assert_eq!(first["tax_rate_ids"], json!([vat]), "the archived rate of the product is left out");
    assert_eq!(first["total"], 24_000);
    assert_eq!(second["price_id"], eur.as_str());
    assert_eq!(second["description"], "Setup, second site");
    assert_eq!(second["unit_amount"], 5_000);
    // An empty list is "none given": the product's live rates.
    assert_eq!(second["tax_rate_ids"], json!([vat]));
    assert_eq!(made["total"], 30_000);

    // Finalized, the lines keep their price; a subscription's line names its price too.
    let id = made["id"].as_str().unwrap();
    assert_eq!(act(&app, &owner, id, "finalize").await.status, 200);
    assert_eq!(invoice(&app, &owner, id).await["lines"][0]["price_id"], eur.as_str());
    let monthly =
        price(&app, &owner, &setup, json!({"unit_amount": 900, "recurring": {"interval": "month"}})).await;
    let sub = owner
        .post(&app, "/api/v1/billing/subscriptions", json!({"customer_id": buyer, "price_id": monthly}))
        .await;
    assert_eq!(sub.status, 201, "{}", sub.text());
    let renewed = sub.json()["periods"][0]["invoice_id"].as_str().unwrap().to_owned();
    assert_eq!(invoice(&app, &owner, &renewed).await["lines"][0]["price_id"], monthly.as_str());
}

#[tokio::test]
async fn a_price_that_does_not_fit_the_invoice_is_a_422_by_line_and_writes_nothing() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Bo").await;
    let widget = product(&app, &owner, "Widget", &[]).await;
    let eur = price(&app, &owner, &widget, json!({"unit_amount": 1_000, "currency": "EUR"})).await;
    let usd = price(&app, &owner, &widget, json!({"unit_amount": 1_200, "currency": "USD"})).await;
    let retired = price(&app, &owner, &widget, json!({"unit_amount": 700, "currency": "EUR"})).await;
    let archived =
        patch(&app, &owner, &format!("/api/v1/billing/prices/{retired}"), 1, json!({"active": false})).await;
    assert_eq!(archived.status, 200, "{}", archived.text());
    let elsewhere = app.organization("Elsewhere").await.owner;
    let theirs_product = product(&app, &elsewhere, "Theirs", &[]).await;
    let theirs = price(&app, &elsewhere, &theirs_product, json!({"unit_amount": 1, "currency": "EUR"})).await;

    for (line, field) in [
        (json!({"price_id": usd, "quantity": 1}), "lines[0].price_id"),
        (json!({"price_id": uuid::Uuid::now_v7(), "quantity": 1}), "lines[0].price_id"),
        (json!({"price_id": theirs, "quantity": 1}), "lines[0].price_id"),
        (json!({"price_id": retired, "quantity": 1}), "lines[0].price_id"),
        (json!({"quantity": 1, "unit_amount": 5}), "lines[0].description"),
        (json!({"quantity": 1, "description": "Free text"}), "lines[0].unit_amount"),
        (json!({"price_id": eur, "quantity": 1, "description": ""}), "lines[0].description"),
    ] {
        let body = json!({"customer_id": buyer, "currency": "EUR", "lines": [line]});
        let refused = owner.post(&app, "/api/v1/billing/invoices", body).await;
        refused.assert_problem(422, "validation_failed");
        assert!(refused.text().contains(field), "{field}: {}", refused.text());
    }
    assert_eq!(invoice_count(&app, &owner).await, 0);

    // An archived price may still be billed at an amount given.
    let lines = json!([{"price_id": retired, "quantity": 1, "unit_amount": 700}]);
    let made = draft(&app, &owner, json!({"customer_id": buyer, "currency": "EUR", "lines": lines})).await;
    assert_eq!(made["lines"][0]["description"], "Widget");
    // Moving the draft to another currency without new lines leaves a EUR price on a USD
    // invoice: refused, and the draft is unchanged.
    let (id, version) = (made["id"].as_str().unwrap(), made["version"].as_i64().unwrap());
    let path = format!("/api/v1/billing/invoices/{id}");
    let moved = patch(&app, &owner, &path, version, json!({"currency": "USD"})).await;
    moved.assert_problem(422, "validation_failed");
    assert!(moved.text().contains("lines[0].price_id"), "{}", moved.text());
    let after = invoice(&app, &owner, id).await;
    assert_eq!((after["currency"].as_str(), after["version"].as_i64()), (Some("EUR"), Some(version)));
    // With lines of the new currency it moves.
    let lines = json!([{"price_id": usd, "quantity": 1}]);
    let moved = patch(&app, &owner, &path, version, json!({"currency": "USD", "lines": lines})).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(moved.json()["total"], 1_200);
}
