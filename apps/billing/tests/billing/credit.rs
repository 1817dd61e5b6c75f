//! The customer's credit: an overpayment or a credit note spent on a later invoice, once per
//! key and never more than there is; refunds pay the credit back first, then take back what a
//! payment paid (the invoice owes it again); `billing verify` agrees after every step.

use baseops_test_support::{Client, TestApp, TestResponse};
use serde_json::{Value, json};

use crate::support::{customer, finalized, invoice, post_keyed, verify};

async fn pay(app: &TestApp, member: &Client, key: &str, body: Value) -> TestResponse {
    post_keyed(app, member, "/api/v1/billing/payments", key, body).await
}

async fn apply(app: &TestApp, member: &Client, invoice: &str, key: &str, body: Value) -> TestResponse {
    post_keyed(app, member, &format!("/api/v1/billing/invoices/{invoice}/apply-credit"), key, body).await
}

async fn refund(app: &TestApp, member: &Client, payment: &str, key: &str, body: Value) -> TestResponse {
    post_keyed(app, member, &format!("/api/v1/billing/payments/{payment}/refunds"), key, body).await
}

async fn balance(app: &TestApp, member: &Client, customer: &str) -> (i64, i64) {
    let balances = member.get(app, &format!("/api/v1/billing/customers/{customer}/balance")).await.json();
    let eur = balances.as_array().unwrap().iter().find(|b| b["currency"] == "EUR").cloned().unwrap();
    (eur["balance"].as_i64().unwrap(), eur["credit"].as_i64().unwrap())
}

async fn assert_verified(app: &TestApp) {
    let report = verify(app).await;
    assert!(report.is_ok(), "{report}");
}

fn due(invoice: &Value) -> (Option<&str>, Option<i64>, Option<i64>) {
    (invoice["status"].as_str(), invoice["amount_paid"].as_i64(), invoice["amount_due"].as_i64())
}

#[tokio::test]
async fn an_overpayment_and_a_credit_note_pay_later_invoices_once_and_never_beyond_the_credit() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Nia").await;
    let first = finalized(&app, &owner, &buyer, 10_000).await;
    let paid =
        pay(&app, &owner, "p1", json!({"customer_id": buyer, "amount": 12_000, "method": "bank_transfer"}));
    assert_eq!(paid.await.status, 201);
    assert_eq!(balance(&app, &owner, &buyer).await, (-2_000, 2_000));

    let second = finalized(&app, &owner, &buyer, 5_000).await;
    apply(&app, &owner, &second, "c1", json!({"amount": 2_001}))
        .await
        .assert_problem(422, "validation_failed");
    let keyless =
        owner.post(&app, &format!("/api/v1/billing/invoices/{second}/apply-credit"), json!({})).await;
    keyless.assert_problem(400, "idempotency_key_required");
    let applied = apply(&app, &owner, &second, "c1", json!({})).await;
    assert_eq!(applied.status, 200, "{}", applied.text());
    assert_eq!(
        due(&applied.json()),
        (Some("open"), Some(2_000), Some(3_000)),
        "all the credit, as it is less"
    );
    let again = apply(&app, &owner, &second, "c1", json!({})).await;
    assert_eq!(again.status, 200);
    assert_eq!(invoice(&app, &owner, &second).await["amount_due"], 3_000, "the retry spends nothing");
    apply(&app, &owner, &second, "c2", json!({})).await.assert_problem(422, "validation_failed");
    assert_eq!(balance(&app, &owner, &buyer).await, (3_000, 0));
    assert_verified(&app).await;

    // A credit note on the paid first invoice is credit again; it pays the rest exactly.
    let note = json!({"amount": 3_000, "reason": "order_change"});
    let path = format!("/api/v1/billing/invoices/{first}/credit-notes");
    assert_eq!(post_keyed(&app, &owner, &path, "n1", note).await.status, 201);
    assert_eq!(balance(&app, &owner, &buyer).await, (0, 3_000));
    let applied = apply(&app, &owner, &second, "c3", json!({"amount": 3_000})).await;
    assert_eq!(due(&applied.json()), (Some("paid"), Some(5_000), Some(0)));
    apply(&app, &owner, &first, "c4", json!({})).await.assert_problem(409, "invalid_transition");
    assert_eq!(balance(&app, &owner, &buyer).await, (0, 0));
    assert_verified(&app).await;
    let audit = owner
        .get(
            &app,
            &format!(
                "/api/v1/audit/events?entity_type=invoice&entity_id={second}&action=invoice.apply_credit"
            ),
        )
        .await;
    assert_eq!(audit.json()["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn two_invoices_racing_for_the_same_credit_get_it_once() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Oda").await;
    let paid =
        pay(&app, &owner, "p1", json!({"customer_id": buyer, "amount": 1_000, "method": "cash"})).await;
    assert_eq!(paid.status, 201);
    let mut invoices = Vec::new();
    for _ in 0..6 {
        invoices.push(finalized(&app, &owner, &buyer, 1_000).await);
    }
    let attempts =
        invoices.iter().enumerate().map(|(n, id)| {
            let (app, owner) = (&app, &owner);
            async move {
                apply(app, owner, id, &format!("race-{n}"), json!({"amount": 1_000})).await.status.as_u16()
            }
        });
    let statuses = futures_util::future::join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|status| **status == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|status| [200, 409, 422].contains(status)), "{statuses:?}");
    assert_eq!(balance(&app, &owner, &buyer).await.1, 0);
    assert_verified(&app).await;
}

#[tokio::test]
async fn a_refund_pays_back_the_credit_first_then_reopens_what_the_payment_paid() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Pia").await;
    let bill = finalized(&app, &owner, &buyer, 10_000).await;
    let paid =
        pay(&app, &owner, "p1", json!({"customer_id": buyer, "amount": 12_000, "method": "card"})).await;
    let payment = paid.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(invoice(&app, &owner, &bill).await["status"], "paid");

    let back = refund(&app, &owner, &payment, "r1", json!({"amount": 500, "reason": "overpaid"})).await;
    assert_eq!(back.status, 201, "{}", back.text());
    assert_eq!((back.json()["amount"].as_i64(), back.json()["from_credit"].as_i64()), (Some(500), Some(500)));
    let again = refund(&app, &owner, &payment, "r1", json!({"amount": 500, "reason": "overpaid"})).await;
    assert_eq!(again.json()["id"], back.json()["id"], "the retry gets the first refund");
    assert_eq!(balance(&app, &owner, &buyer).await, (-1_500, 1_500));

    // 4,000 more: the last 1,500 of credit, then 2,500 of what paid the invoice.
    let back = refund(&app, &owner, &payment, "r2", json!({"amount": 4_000})).await;
    assert_eq!(back.json()["from_credit"], 1_500);
    assert_eq!(due(&invoice(&app, &owner, &bill).await), (Some("open"), Some(7_500), Some(2_500)));
    assert_eq!(balance(&app, &owner, &buyer).await, (2_500, 0));
    let detail = owner.get(&app, &format!("/api/v1/billing/payments/{payment}")).await.json();
    assert_eq!((detail["refunded"].as_i64(), detail["unapplied"].as_i64()), (Some(4_500), Some(0)));
    assert_eq!(detail["refunds"].as_array().unwrap().len(), 2);
    assert_eq!(detail["allocations"], json!([{"invoice_id": bill, "amount": 7_500}]));
    assert_verified(&app).await;

    // Never more than is left of the payment; the rest, in full, empties it.
    refund(&app, &owner, &payment, "r3", json!({"amount": 7_501}))
        .await
        .assert_problem(422, "validation_failed");
    refund(&app, &owner, &payment, "r3", json!({"amount": 0})).await.assert_problem(422, "validation_failed");
    let rest = refund(&app, &owner, &payment, "r4", json!({"amount": 7_500})).await;
    assert_eq!(rest.status, 201, "{}", rest.text());
    assert_eq!(due(&invoice(&app, &owner, &bill).await), (Some("open"), Some(0), Some(10_000)));
    let detail = owner.get(&app, &format!("/api/v1/billing/payments/{payment}")).await.json();
    assert_eq!(detail["allocations"], json!([]));
    assert_eq!(balance(&app, &owner, &buyer).await, (10_000, 0));
    assert_verified(&app).await;
    let audit =
        owner.get(&app, &format!("/api/v1/audit/events?action=payment.refund&entity_id={payment}")).await;
    assert_eq!(audit.json()["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn credit_already_spent_cannot_be_refunded_and_refunds_need_the_permission() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Quin").await;
    let paid =
        pay(&app, &owner, "p1", json!({"customer_id": buyer, "amount": 1_000, "method": "cash"})).await;
    let payment = paid.json()["id"].as_str().unwrap().to_owned();
    let later = finalized(&app, &owner, &buyer, 1_000).await;
    assert_eq!(apply(&app, &owner, &later, "c1", json!({})).await.status, 200);
    let refused = refund(&app, &owner, &payment, "r1", json!({"amount": 1})).await;
    refused.assert_problem(422, "validation_failed");
    assert!(refused.text().contains("at most 0"), "{}", refused.text());

    let manager = app.as_role("manager").await;
    refund(&app, &manager, &payment, "r2", json!({"amount": 1})).await.assert_problem(403, "forbidden");
    let other = app.organization("Elsewhere").await.owner;
    refund(&app, &other, &payment, "r3", json!({"amount": 1})).await.assert_problem(404, "not_found");
    let detail = owner.get(&app, &format!("/api/v1/billing/payments/{payment}")).await.json();
    assert_eq!(detail["refunded"], 0, "nothing changed");
    assert_verified(&app).await;
}
