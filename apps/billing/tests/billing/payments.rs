//! Payments: part of an invoice, then the rest and more (the customer's credit), exactly once
//! per Idempotency-Key, and every bad payment refused with nothing changed.

use baseops_test_support::{Client, TestApp, TestResponse};
use serde_json::{Value, json};

use crate::support::{act, customer, finalized, invoice, post_keyed, simple_draft};

async fn pay(app: &TestApp, member: &Client, key: &str, body: Value) -> TestResponse {
    post_keyed(app, member, "/api/v1/billing/payments", key, body).await
}

#[tokio::test]
async fn a_customer_pays_part_then_the_rest_and_the_surplus_is_their_credit() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Hal").await;
    let first = finalized(&app, &owner, &buyer, 10_000).await;
    let second = finalized(&app, &owner, &buyer, 5_000).await;

    let part = json!({"customer_id": buyer, "amount": 3_000, "method": "bank_transfer", "reference": "SEPA 1",
        "allocations": [{"invoice_id": first, "amount": 3_000}]});
    let paid = pay(&app, &owner, "pay-1", part).await;
    assert_eq!(paid.status, 201, "{}", paid.text());
    assert_eq!(paid.json()["unapplied"], 0);
    let after = invoice(&app, &owner, &first).await;
    assert_eq!(
        (after["status"].as_str(), after["amount_paid"].as_i64(), after["amount_due"].as_i64()),
        (Some("open"), Some(3_000), Some(7_000))
    );

    // No allocations: the oldest open invoices first, the rest to the customer's credit.
    let rest = json!({"customer_id": buyer, "amount": 13_000, "method": "cash"});
    let paid = pay(&app, &owner, "pay-2", rest).await;
    assert_eq!(paid.status, 201, "{}", paid.text());
    let paid = paid.json();
    assert_eq!(paid["unapplied"], 1_000);
    let allocations = paid["allocations"].as_array().unwrap();
    assert_eq!(allocations.len(), 2);
    for (id, due) in [(&first, 7_000), (&second, 5_000)] {
        let allocation = allocations.iter().find(|a| a["invoice_id"] == json!(id)).unwrap();
        assert_eq!(allocation["amount"], due);
        let now = invoice(&app, &owner, id).await;
        assert_eq!((now["status"].as_str(), now["amount_due"].as_i64()), (Some("paid"), Some(0)));
    }
    // Owed 15,000, paid 16,000: 1,000 in credit.
    let balance = owner.get(&app, &format!("/api/v1/billing/customers/{buyer}/balance")).await.json();
    assert_eq!(balance, json!([{"currency": "EUR", "balance": -1_000, "credit": 1_000}]));
    let listed = owner.get(&app, &format!("/api/v1/billing/payments?customer_id={buyer}")).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    act(&app, &owner, &first, "void").await.assert_problem(409, "invalid_transition");
    let audit = owner
        .get(&app, &format!("/api/v1/audit/events?entity_type=invoice&entity_id={first}&action=invoice.pay"))
        .await;
    assert_eq!(audit.json()["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_payment_moves_money_once_per_key() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Ike").await;
    let id = finalized(&app, &owner, &buyer, 10_000).await;
    let body = json!({"customer_id": buyer, "amount": 4_000, "method": "card", "allocations": [{"invoice_id": id, "amount": 4_000}]});
    let first = pay(&app, &owner, "same-key", body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let again = pay(&app, &owner, "same-key", body.clone()).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json()["id"], first.json()["id"], "the retry gets the first payment");
    assert_eq!(invoice(&app, &owner, &id).await["amount_due"], 6_000, "paid once");
    let other = json!({"customer_id": buyer, "amount": 1, "method": "card"});
    pay(&app, &owner, "same-key", other).await.assert_problem(422, "idempotency_key_reused");
    let keyless = owner.post(&app, "/api/v1/billing/payments", body).await;
    keyless.assert_problem(400, "idempotency_key_required");
    assert_eq!(
        owner.get(&app, "/api/v1/billing/payments").await.json()["items"].as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn bad_payments_are_refused_by_field_and_change_nothing() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Jo").await;
    let other = customer(&app, &owner, "Kim").await;
    let id = finalized(&app, &owner, &buyer, 1_000).await;
    let theirs = finalized(&app, &owner, &other, 1_000).await;
    let draft = simple_draft(&app, &owner, &buyer, 1_000).await;
    let allocate = |invoice: &str, amount: i64| json!([{"invoice_id": invoice, "amount": amount}]);
    let cases = [
        (json!({"amount": 2_000, "allocations": allocate(&id, 1_001)}), "allocations[0].amount"),
        (json!({"amount": 500, "allocations": allocate(&id, 600)}), "allocations"),
        (json!({"amount": 1_000, "allocations": allocate(&theirs, 1_000)}), "allocations[0].invoice_id"),
        (
            json!({"amount": 1_000, "allocations": allocate(draft["id"].as_str().unwrap(), 1_000)}),
            "allocations[0].invoice_id",
        ),
        (
            json!({"amount": 1_000, "currency": "USD", "allocations": allocate(&id, 1_000)}),
            "allocations[0].invoice_id",
        ),
        (
            json!({"amount": 1_000, "allocations": [{"invoice_id": id, "amount": 500}, {"invoice_id": id, "amount": 500}]}),
            "allocations[1].invoice_id",
        ),
        (json!({"amount": 0}), "amount"),
        (json!({"amount": i64::MAX}), "amount"),
        (json!({"amount": 10, "reference": "a\u{7}b"}), "reference"),
    ];
    for (n, (mut body, field)) in cases.into_iter().enumerate() {
        body["customer_id"] = json!(buyer);
        body["method"] = json!("bank_transfer");
        let refused = pay(&app, &owner, &format!("bad-{n}"), body).await;
        let problem = refused.assert_problem(422, "validation_failed");
        assert!(problem["errors"].get(field).is_some(), "{field}: {problem}");
    }
    assert_eq!(invoice(&app, &owner, &id).await["amount_due"], 1_000, "nothing was paid");
    assert_eq!(owner.get(&app, "/api/v1/billing/payments").await.json()["items"], json!([]));
    let sales = app.as_role("sales").await;
    let body = json!({"customer_id": buyer, "amount": 10, "method": "cash"});
    pay(&app, &sales, "sales-1", body).await.assert_problem(403, "forbidden");
}
