//! Customers added and changed through the API with their billing profile: tax ids checked
//! by scheme, addresses and contacts normalized, every bad field refused by path with nothing
//! written, changes at a version only, and only by roles that may.

use baseops_test_support::{Client, TestApp, TestResponse};
use http::Method;
use serde_json::{Value, json};

async fn patch(app: &TestApp, member: &Client, id: &str, version: i64, body: Value) -> TestResponse {
    let etag = format!("\"{version}\"");
    member
        .send(app, Method::PATCH, &format!("/api/v1/customers/{id}"), Some(body), &[("if-match", &etag)])
        .await
}

fn full() -> Value {
    json!({
        "name": "Acme", "email": " Billing@Acme.TEST ", "company": "Acme GmbH", "legal_name": "Acme GmbH & Co. KG",
        "billing_address": {"line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": "de"},
        "tax_ids": [{"type": "eu_vat", "value": "DE 123 456 789"}],
        "tax_exempt": "reverse", "currency": "USD", "payment_terms_days": 14,
        "billing_emails": ["ap@acme.test", "CFO@Acme.test"], "locale": "de_de",
    })
}

#[tokio::test]
async fn a_customer_is_added_with_a_normalized_billing_profile_and_changed_at_a_version() {
    let app = TestApp::new().await;
    let accountant = app.as_role("accountant").await;
    let made = accountant.post(&app, "/api/v1/customers", full()).await;
    assert_eq!(made.status, 201, "{}", made.text());
    let customer = made.json();
    let id = customer["id"].as_str().unwrap().to_owned();
    assert_eq!(customer["email"], "billing@acme.test");
    assert_eq!(customer["billing_address"]["country"], "DE");
    assert_eq!(customer["tax_ids"], json!([{"type": "eu_vat", "value": "DE123456789"}]));
    assert_eq!(customer["billing_emails"], json!(["ap@acme.test", "cfo@acme.test"]));
    assert_eq!((customer["locale"].as_str(), customer["currency"].as_str()), (Some("de-DE"), Some("USD")));
    assert_eq!(
        (customer["tax_exempt"].as_str(), customer["lead_id"].clone()),
        (Some("reverse"), Value::Null)
    );

    let changed = patch(
        &app,
        &accountant,
        &id,
        1,
        json!({"billing_address": null, "tax_exempt": "none", "locale": "fr"}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let after = changed.json();
    assert_eq!((after["billing_address"].clone(), after["version"].as_i64()), (Value::Null, Some(2)));
    assert_eq!((after["tax_exempt"].as_str(), after["locale"].as_str()), (Some("none"), Some("fr")));
    assert_eq!(after["tax_ids"], customer["tax_ids"], "what is not sent stays");
    patch(&app, &accountant, &id, 1, json!({"name": "Stale"})).await.assert_problem(412, "version_mismatch");
    let missing =
        accountant.send(&app, Method::PATCH, &format!("/api/v1/customers/{id}"), Some(json!({})), &[]).await;
    missing.assert_problem(428, "precondition_required");
    let owner = app.org().await.owner.clone();
    let audit = owner.get(&app, &format!("/api/v1/audit/events?entity_type=customer&entity_id={id}")).await;
    assert_eq!(audit.json()["items"].as_array().unwrap().len(), 2, "created and updated: {}", audit.text());
}

#[tokio::test]
async fn every_bad_field_is_refused_by_path_and_nothing_is_written() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let with = |field: &str, value: Value| {
        let mut body = full();
        body[field] = value;
        body
    };
    let cases = [
        (with("name", json!("  ")), "name"),
        (with("email", json!("not-an-address")), "email"),
        (with("tax_ids", json!([{"type": "eu_vat", "value": "DE12345"}])), "tax_ids[0].value"),
        (
            with(
                "tax_ids",
                json!([{"type": "gb_vat", "value": "GB123456789"}, {"type": "gb_vat", "value": "GB 123456789"}]),
            ),
            "tax_ids[1].value",
        ),
        (with("tax_ids", Value::Array(vec![json!({"type": "other", "value": "1"}); 6])), "tax_ids"),
        (
            with("billing_address", json!({"line1": "x", "city": "y", "country": "Germany"})),
            "billing_address.country",
        ),
        (
            with("shipping_address", json!({"line1": "", "city": "y", "country": "DE"})),
            "shipping_address.line1",
        ),
        (with("billing_emails", json!(["ok@acme.test", "nope"])), "billing_emails[1]"),
        (with("payment_terms_days", json!(366)), "payment_terms_days"),
        (with("locale", json!("deutsch")), "locale"),
    ];
    for (body, field) in cases {
        let refused = owner.post(&app, "/api/v1/customers", body).await;
        refused.assert_problem(422, "validation_failed");
        assert!(refused.text().contains(&format!("\"{field}\"")), "{field}: {}", refused.text());
    }
    for body in
        [with("tax_exempt", json!("sometimes")), with("currency", json!("EURO")), with("extra", json!(1))]
    {
        assert_eq!(owner.post(&app, "/api/v1/customers", body).await.status, 422);
    }
    assert_eq!(owner.get(&app, "/api/v1/customers").await.json()["items"], json!([]));
}

#[tokio::test]
async fn sales_see_customers_but_only_billing_roles_add_them_and_others_see_nothing() {
    let app = TestApp::new().await;
    let sales = app.as_role("sales").await;
    sales.post(&app, "/api/v1/customers", full()).await.assert_problem(403, "forbidden");
    let manager = app.as_role("manager").await;
    let made = manager.post(&app, "/api/v1/customers", full()).await;
    assert_eq!(made.status, 201, "{}", made.text());
    let id = made.json()["id"].as_str().unwrap().to_owned();
    patch(&app, &sales, &id, 1, json!({"name": "Mine"})).await.assert_problem(403, "forbidden");
    let elsewhere = app.organization("Elsewhere").await.owner;
    elsewhere.get(&app, &format!("/api/v1/customers/{id}")).await.assert_problem(404, "not_found");
    patch(&app, &elsewhere, &id, 1, json!({"name": "Theirs"})).await.assert_problem(404, "not_found");
}
