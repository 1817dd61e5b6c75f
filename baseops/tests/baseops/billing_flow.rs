//! Across the apps, as a company lives it: a lead is won and converted, its customer is
//! invoiced, pays part and then the rest, and gets a credit note — and the lead's timeline,
//! the audit trail, the ledger's balance and `billing verify` all tell the same story.

use baseops_test_support::customers::converted_lead;
use baseops_test_support::{Client, TestApp, TestResponse};
use http::Method;
use serde_json::{Value, json};

async fn keyed(app: &TestApp, member: &Client, path: &str, key: &str, body: Value) -> TestResponse {
    let answer = member.send(app, Method::POST, path, Some(body), &[("idempotency-key", key)]).await;
    assert!(answer.status.is_success(), "{path}: {}", answer.text());
    answer
}

#[tokio::test]
async fn a_won_lead_is_invoiced_paid_in_two_parts_and_credited_and_every_record_agrees() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let sales = app.as_role("sales").await;
    let won = converted_lead(&app, &sales, json!({"first_name": "Rosa", "company": "Rosa Tiles"})).await;
    let lead = sales.get(&app, &format!("/api/v1/leads/{}", won.lead_id)).await.json();
    assert_eq!(lead["customer_id"], json!(won.customer_id), "the lead knows its customer");

    let accountant = app.as_role("accountant").await;
    let lines = json!([{"description": "Tiles", "quantity": 40, "unit_amount": 250}]);
    let draft = accountant
        .post(&app, "/api/v1/billing/invoices", json!({"customer_id": won.customer_id, "lines": lines}))
        .await;
    assert_eq!(draft.status, 201, "{}", draft.text());
    let id = draft.json()["id"].as_str().unwrap().to_owned();
    let finalized =
        accountant.post(&app, &format!("/api/v1/billing/invoices/{id}/finalize"), json!({})).await.json();
    assert_eq!(finalized["total"], 10_000);

    let part = json!({"customer_id": won.customer_id, "amount": 4_000, "method": "bank_transfer"});
    keyed(&app, &accountant, "/api/v1/billing/payments", "flow-1", part).await;
    let after_part = accountant.get(&app, &format!("/api/v1/billing/invoices/{id}")).await.json();
    assert_eq!(
        (after_part["status"].as_str(), after_part["amount_due"].as_i64()),
        (Some("open"), Some(6_000))
    );
    let rest = json!({"customer_id": won.customer_id, "amount": 6_000, "method": "bank_transfer"});
    keyed(&app, &accountant, "/api/v1/billing/payments", "flow-2", rest).await;
    let note = json!({"amount": 1_000, "reason": "product_unsatisfactory"});
    keyed(&app, &accountant, &format!("/api/v1/billing/invoices/{id}/credit-notes"), "flow-3", note).await;

    let invoice = accountant.get(&app, &format!("/api/v1/billing/invoices/{id}")).await.json();
    assert_eq!(
        (invoice["status"].as_str(), invoice["amount_paid"].as_i64(), invoice["amount_credited"].as_i64()),
        (Some("paid"), Some(10_000), Some(1_000))
    );
    let balance =
        accountant.get(&app, &format!("/api/v1/billing/customers/{}/balance", won.customer_id)).await.json();
    assert_eq!(
        balance,
        json!([{"currency": "EUR", "balance": -1_000, "credit": 1_000}]),
        "the credit note is the customer's credit"
    );
    let report = baseops_billing::verify::verify(app.state().db().read(), None).await.unwrap();
    assert!(report.is_ok(), "{report}");

    let timeline = sales.get(&app, &format!("/api/v1/leads/{}/activities", won.lead_id)).await.json();
    let kinds: Vec<&str> =
        timeline["items"].as_array().unwrap().iter().filter_map(|a| a["kind"].as_str()).collect();
    assert!(kinds.contains(&"conversion"), "the timeline shows the conversion: {kinds:?}");
    let audit = owner.get(&app, "/api/v1/audit/events?limit=200").await.json();
    let actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for action in [
        "lead.convert",
        "invoice.create",
        "invoice.finalize",
        "payment.record",
        "invoice.pay",
        "credit_note.issue",
    ] {
        assert!(actions.contains(&action), "the audit trail lacks {action}: {actions:?}");
    }
    assert_eq!(actions.iter().filter(|action| **action == "payment.record").count(), 2);
}
