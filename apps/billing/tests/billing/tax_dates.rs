//! Tax rates with effective dates: a rate applies from `effective_from` to `effective_to`
//! (both inclusive); an invoice is finalized only with rates in effect on its issue day, and a
//! renewal takes, of its product's rates, those in effect on the period's first day.

use baseops_billing::service::subscription::renew_due;
use baseops_test_support::{Client, TestApp};
use chrono::{Duration, Utc};
use http::Method;
use serde_json::{Value, json};

use crate::support::{customer, invoice};

async fn rate(app: &TestApp, member: &Client, body: Value) -> Value {
    let made = member.post(app, "/api/v1/billing/tax-rates", body).await;
    assert_eq!(made.status, 201, "{}", made.text());
    made.json()
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

#[tokio::test]
async fn an_invoice_is_finalized_only_with_rates_in_effect_on_its_day() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let rates = "/api/v1/billing/tax-rates";
    let backwards = json!({"name": "VAT", "percent": "19", "effective_from": day(5), "effective_to": day(1)});
    let refused = owner.post(&app, rates, backwards).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains("effective_to"), "{}", refused.text());
    assert!(owner.get(&app, rates).await.json().as_array().unwrap().is_empty(), "nothing made");

    let old = rate(&app, &owner, json!({"name": "VAT 19", "percent": "19", "effective_to": day(-1)})).await;
    let new = rate(&app, &owner, json!({"name": "VAT 20", "percent": "20", "effective_from": day(0)})).await;
    assert_eq!(
        (old["effective_to"].as_str(), new["effective_from"].as_str()),
        (Some(day(-1).as_str()), Some(day(0).as_str()))
    );
    let buyer = customer(&app, &owner, "Ada").await;
    let line = |rate: &Value| json!([{"description": "Work", "quantity": 1, "unit_amount": 10_000, "tax_rate_ids": [rate["id"]]}]);
    let stale = owner
        .post(&app, "/api/v1/billing/invoices", json!({"customer_id": buyer, "lines": line(&old)}))
        .await;
    assert_eq!(stale.status, 201, "a draft may carry any rate: {}", stale.text());
    let stale = stale.json()["id"].as_str().unwrap().to_owned();
    let finalize = |id: &str| format!("/api/v1/billing/invoices/{id}/finalize");
    let refused = owner.post(&app, &finalize(&stale), json!({})).await;
    assert_eq!(refused.status, 409, "{}", refused.text());
    assert_eq!(refused.json()["code"], "tax_rate_not_in_effect");
    assert!(refused.text().contains("VAT 19"), "{}", refused.text());
    let after = invoice(&app, &owner, &stale).await;
    assert_eq!(
        (after["status"].as_str(), after["number"].as_str()),
        (Some("draft"), None),
        "nothing changed"
    );

    let current = owner
        .post(&app, "/api/v1/billing/invoices", json!({"customer_id": buyer, "lines": line(&new)}))
        .await;
    let current = current.json()["id"].as_str().unwrap().to_owned();
    let done = owner.post(&app, &finalize(&current), json!({})).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(done.json()["number"].as_str().unwrap().ends_with("-000001"), "the refusal took no number");
    assert_eq!(done.json()["tax_total"], 2_000);

    // Extending the old rate (null clears its end) lets the first draft go too.
    let path = format!("{rates}/{}", old["id"].as_str().unwrap());
    let etag = format!("\"{}\"", old["version"]);
    let reopened = owner
        .send(&app, Method::PATCH, &path, Some(json!({"effective_to": null})), &[("if-match", &etag)])
        .await;
    assert_eq!(reopened.status, 200, "{}", reopened.text());
    assert_eq!(reopened.json()["effective_to"], Value::Null);
    let backwards = json!({"effective_from": day(3), "effective_to": day(2)});
    let version = format!("\"{}\"", reopened.json()["version"]);
    let refused = owner.send(&app, Method::PATCH, &path, Some(backwards), &[("if-match", &version)]).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    let done = owner.post(&app, &finalize(&stale), json!({})).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(done.json()["number"].as_str().unwrap().ends_with("-000002"));
}

#[tokio::test]
async fn a_renewal_takes_the_products_rates_in_effect_on_the_periods_first_day() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let old = rate(&app, &owner, json!({"name": "VAT 19", "percent": "19", "effective_to": day(-1)})).await;
    let new = rate(&app, &owner, json!({"name": "VAT 20", "percent": "20", "effective_from": day(0)})).await;
    let made = owner
        .post(
            &app,
            "/api/v1/billing/products",
            json!({"name": "Plan", "tax_rate_ids": [old["id"], new["id"]]}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let product = made.json()["id"].as_str().unwrap().to_owned();
    let price = owner
        .post(
            &app,
            &format!("/api/v1/billing/products/{product}/prices"),
            json!({"unit_amount": 10_000, "recurring": {"interval": "month"}}),
        )
        .await;
    assert_eq!(price.status, 201, "{}", price.text());
    let buyer = customer(&app, &owner, "Bo").await;
    let sub = owner
        .post(
            &app,
            "/api/v1/billing/subscriptions",
            json!({"customer_id": buyer, "price_id": price.json()["id"]}),
        )
        .await;
    assert_eq!(sub.status, 201, "{}", sub.text());
    renew_due(app.state(), Utc::now(), 100).await.unwrap();
    let list = owner.get(&app, "/api/v1/billing/invoices").await.json();
    let first = invoice(&app, &owner, list["items"][0]["id"].as_str().unwrap()).await;
    assert_eq!(first["status"], "open", "{first}");
    assert_eq!(first["lines"][0]["tax_rate_ids"], json!([new["id"]]), "only the rate in effect: {first}");
    assert_eq!(first["tax_total"], 2_000);
}
