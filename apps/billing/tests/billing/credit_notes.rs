//! Credit notes: they reduce what an invoice still asks for, then credit or pay back what was
//! paid, never more than was invoiced, numbered in their own series, once per key — and
//! `billing verify` agrees with every figure, and finds one that was tampered with.

use baseops_billing::model::invoice;
use baseops_test_support::{Client, TestApp, TestResponse};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{act, customer, finalized, post_keyed, simple_draft, verify};

async fn credit(app: &TestApp, member: &Client, invoice: &str, key: &str, body: Value) -> TestResponse {
    post_keyed(app, member, &format!("/api/v1/billing/invoices/{invoice}/credit-notes"), key, body).await
}

#[tokio::test]
async fn a_credit_note_reduces_the_due_then_credits_what_was_paid_and_never_exceeds_the_invoice() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Lou").await;
    let invoice = finalized(&app, &owner, &buyer, 10_000).await;
    let pay = json!({"customer_id": buyer, "amount": 6_000, "method": "cash"});
    assert_eq!(post_keyed(&app, &owner, "/api/v1/billing/payments", "p1", pay).await.status, 201);

    // 4,000 still due: a 5,000 credit takes the 4,000 off the due and 1,000 to the balance.
    let note = credit(&app, &owner, &invoice, "c1", json!({"amount": 5_000, "reason": "order_change"})).await;
    assert_eq!(note.status, 201, "{}", note.text());
    let note = note.json();
    assert!(note["number"].as_str().unwrap().starts_with("CN-"));
    assert!(note["number"].as_str().unwrap().ends_with("-000001"));
    assert_eq!((note["reduced_due"].as_i64(), note["to_balance"].as_i64()), (Some(4_000), Some(1_000)));
    let after = owner.get(&app, &format!("/api/v1/billing/invoices/{invoice}")).await.json();
    assert_eq!((after["status"].as_str(), after["amount_due"].as_i64()), (Some("paid"), Some(0)));
    assert_eq!(after["amount_credited"], 5_000);

    // 5,000 is left to credit; 5,001 is refused and nothing changes.
    let over = credit(&app, &owner, &invoice, "c2", json!({"amount": 5_001, "reason": "duplicate"})).await;
    assert!(over.assert_problem(422, "validation_failed")["errors"]["amount"].is_array());
    let refund = json!({"amount": 5_000, "reason": "duplicate", "paid_part": "refund"});
    let refunded = credit(&app, &owner, &invoice, "c3", refund.clone()).await;
    assert_eq!(refunded.status, 201, "{}", refunded.text());
    assert_eq!(refunded.json()["refunded"], 5_000);
    assert!(refunded.json()["number"].as_str().unwrap().ends_with("-000002"));
    // The same key again: the same credit note, nothing more credited.
    assert_eq!(credit(&app, &owner, &invoice, "c3", refund).await.json()["id"], refunded.json()["id"]);
    credit(&app, &owner, &invoice, "c4", json!({"amount": 1, "reason": "other"}))
        .await
        .assert_problem(422, "validation_failed");
    let keyless = owner
        .post(
            &app,
            &format!("/api/v1/billing/invoices/{invoice}/credit-notes"),
            json!({"amount": 1, "reason": "other"}),
        )
        .await;
    keyless.assert_problem(400, "idempotency_key_required");

    // Paid 6,000; credited 1,000 to the balance, 5,000 paid back: 1,000 in credit.
    let balance = owner.get(&app, &format!("/api/v1/billing/customers/{buyer}/balance")).await.json();
    assert_eq!(balance, json!([{"currency": "EUR", "balance": -1_000, "credit": 1_000}]));
    let listed = owner.get(&app, &format!("/api/v1/billing/credit-notes?invoice_id={invoice}")).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    let draft = simple_draft(&app, &owner, &buyer, 100).await;
    let refused =
        credit(&app, &owner, draft["id"].as_str().unwrap(), "c5", json!({"amount": 1, "reason": "other"}))
            .await;
    refused.assert_problem(409, "invalid_transition");
    let sales = app.as_role("manager").await;
    credit(&app, &sales, &invoice, "m1", json!({"amount": 1, "reason": "other"}))
        .await
        .assert_problem(403, "forbidden");
    let report = verify(&app).await;
    assert!(report.is_ok(), "{report}");
}

#[tokio::test]
async fn billing_verify_agrees_with_every_flow_and_finds_a_tampered_figure() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Max").await;
    let paid = finalized(&app, &owner, &buyer, 3_000).await;
    let voided = finalized(&app, &owner, &buyer, 2_000).await;
    let written_off = finalized(&app, &owner, &buyer, 1_500).await;
    let open = finalized(&app, &owner, &buyer, 1_000).await;
    let pay = json!({"customer_id": buyer, "amount": 3_500, "method": "bank_transfer",
        "allocations": [{"invoice_id": paid, "amount": 3_000}, {"invoice_id": voided, "amount": 500}]});
    assert_eq!(post_keyed(&app, &owner, "/api/v1/billing/payments", "v1", pay).await.status, 201);
    assert_eq!(act(&app, &owner, &voided, "void").await.status, 200);
    assert_eq!(act(&app, &owner, &written_off, "mark-uncollectible").await.status, 200);
    let pay = json!({"customer_id": buyer, "amount": 500, "method": "cash", "allocations": [{"invoice_id": written_off, "amount": 500}]});
    assert_eq!(post_keyed(&app, &owner, "/api/v1/billing/payments", "v2", pay).await.status, 201);
    let note = json!({"amount": 400, "reason": "other"});
    assert_eq!(credit(&app, &owner, &written_off, "v3", note).await.status, 201);
    let note = json!({"amount": 300, "reason": "other"});
    assert_eq!(credit(&app, &owner, &open, "v4", note).await.status, 201);
    let report = verify(&app).await;
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.invoices, 4);

    // A figure edited behind the services' back.
    let id = uuid::Uuid::parse_str(&open).unwrap();
    invoice::Entity::update_many()
        .col_expr(invoice::Column::AmountDue, Expr::col(invoice::Column::AmountDue).add(1))
        .filter(invoice::Column::Id.eq(id))
        .exec(app.state().db().write())
        .await
        .unwrap();
    let report = verify(&app).await;
    assert!(!report.is_ok());
    assert!(report.to_string().contains("amount_due"), "{report}");
}
