//! What the billing stories share: a customer, a tax rate, a draft, a finalized invoice, a
//! request with an Idempotency-Key, `billing verify`.

use baseops_test_support::customers::converted_lead;
use baseops_test_support::{Client, TestApp, TestResponse};
use http::Method;
use serde_json::{Value, json};

/// A customer of `member`'s organization.
pub async fn customer(app: &TestApp, member: &Client, name: &str) -> String {
    converted_lead(app, member, json!({"first_name": name, "company": format!("{name} Ltd")}))
        .await
        .customer_id
}

/// A tax rate of `percent` made by `member`.
pub async fn tax_rate(app: &TestApp, member: &Client, name: &str, percent: &str, inclusive: bool) -> String {
    let made = member
        .post(
            app,
            "/api/v1/billing/tax-rates",
            json!({"name": name, "percent": percent, "inclusive": inclusive}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    made.json()["id"].as_str().unwrap().to_owned()
}

/// A draft invoice made from `body`, asserting it was made.
pub async fn draft(app: &TestApp, member: &Client, body: Value) -> Value {
    let made = member.post(app, "/api/v1/billing/invoices", body).await;
    assert_eq!(made.status, 201, "{}", made.text());
    made.json()
}

/// A one-line draft of `unit_amount` for `customer_id`.
pub async fn simple_draft(app: &TestApp, member: &Client, customer_id: &str, unit_amount: i64) -> Value {
    let lines = json!([{"description": "Consulting", "quantity": 1, "unit_amount": unit_amount}]);
    draft(app, member, json!({"customer_id": customer_id, "lines": lines})).await
}

/// `POST /billing/invoices/{id}/{action}`.
pub async fn act(
    app: &TestApp,
    member: &Client,
    id: &str,
    action: &str,
) -> baseops_test_support::TestResponse {
    member.post(app, &format!("/api/v1/billing/invoices/{id}/{action}"), json!({})).await
}

/// A `POST` to `path` with an `Idempotency-Key`.
pub async fn post_keyed(app: &TestApp, member: &Client, path: &str, key: &str, body: Value) -> TestResponse {
    member.send(app, Method::POST, path, Some(body), &[("idempotency-key", key)]).await
}

/// A finalized one-line invoice of `amount` for `customer`; its id.
pub async fn finalized(app: &TestApp, member: &Client, customer: &str, amount: i64) -> String {
    let id = simple_draft(app, member, customer, amount).await["id"].as_str().unwrap().to_owned();
    assert_eq!(act(app, member, &id, "finalize").await.status, 200);
    id
}

/// An invoice as the API shows it.
pub async fn invoice(app: &TestApp, member: &Client, id: &str) -> Value {
    member.get(app, &format!("/api/v1/billing/invoices/{id}")).await.json()
}

/// `billing verify` over every organization.
pub async fn verify(app: &TestApp) -> baseops_billing::verify::Report {
    baseops_billing::verify::verify(app.state().db().read(), None).await.unwrap()
}
