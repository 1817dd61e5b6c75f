//! The tax summary (per rate and currency, void invoices left out) and a customer's statement
//! (opening balance, every movement with the balance after it, closing balance), as JSON and
//! CSV, and the ranges and customers they refuse.

use baseops_test_support::TestApp;
use serde_json::json;

use crate::support::{act, customer, draft, post_keyed, tax_rate};

#[tokio::test]
async fn the_tax_summary_adds_up_each_rate_of_the_invoices_issued_in_the_range() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Vic").await;
    let (standard, reduced) = (
        tax_rate(&app, &owner, "VAT 20", "20", false).await,
        tax_rate(&app, &owner, "VAT 5.5", "5.5", false).await,
    );
    let mut made = Vec::new();
    for (amount, rates) in
        [(10_000, json!([standard])), (2_000, json!([standard, reduced])), (999, json!([standard]))]
    {
        let lines =
            json!([{"description": "Work", "quantity": 1, "unit_amount": amount, "tax_rate_ids": rates}]);
        let id = draft(&app, &owner, json!({"customer_id": buyer, "lines": lines})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(act(&app, &owner, &id, "finalize").await.status, 200);
        made.push(id);
    }
    assert_eq!(act(&app, &owner, &made[2], "void").await.status, 200, "a void invoice is not counted");
    let draft_only =
        json!([{"description": "Later", "quantity": 1, "unit_amount": 5_000, "tax_rate_ids": [standard]}]);
    draft(&app, &owner, json!({"customer_id": buyer, "lines": draft_only})).await;

    let rows = owner.get(&app, "/api/v1/billing/reports/tax-summary").await.json();
    assert_eq!(
        rows,
        json!([
            {"tax_rate_id": reduced, "name": "VAT 5.5", "percent": "5.5", "currency": "EUR", "invoices": 1, "base": 2_000, "tax": 110},
            {"tax_rate_id": standard, "name": "VAT 20", "percent": "20", "currency": "EUR", "invoices": 2, "base": 12_000, "tax": 2_400},
        ])
    );
    let csv = owner.get(&app, "/api/v1/billing/reports/tax-summary?format=csv").await;
    assert_eq!(csv.text().lines().count(), 3, "{}", csv.text());
    assert!(csv.text().starts_with("tax_rate_id,name,percent,currency,invoices,base,tax\n"));
    let empty =
        owner.get(&app, "/api/v1/billing/reports/tax-summary?from=2020-01-01&to=2020-12-31").await.json();
    assert_eq!(empty, json!([]));
    let backwards =
        owner.get(&app, "/api/v1/billing/reports/tax-summary?from=2026-02-01&to=2026-01-01").await;
    backwards.assert_problem(422, "validation_failed");
    let too_long = owner.get(&app, "/api/v1/billing/reports/tax-summary?from=2000-01-01&to=2026-01-01").await;
    too_long.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn a_statement_lists_every_movement_with_the_running_balance() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Wim").await;
    let lines = json!([{"description": "Work", "quantity": 1, "unit_amount": 10_000}]);
    let id = draft(&app, &owner, json!({"customer_id": buyer, "lines": lines})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let number = act(&app, &owner, &id, "finalize").await.json()["number"].as_str().unwrap().to_owned();
    let pay = json!({"customer_id": buyer, "amount": 12_000, "method": "bank_transfer"});
    assert_eq!(post_keyed(&app, &owner, "/api/v1/billing/payments", "s1", pay).await.status, 201);

    let statement = owner.get(&app, &format!("/api/v1/billing/customers/{buyer}/statement")).await;
    assert_eq!(statement.status, 200, "{}", statement.text());
    let statement = statement.json();
    assert_eq!(
        (statement["opening_balance"].as_i64(), statement["closing_balance"].as_i64()),
        (Some(0), Some(-2_000))
    );
    let moves: Vec<(String, i64, i64)> = statement["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            (
                line["kind"].as_str().unwrap().to_owned(),
                line["amount"].as_i64().unwrap(),
                line["balance"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("invoice_issued", 10_000, 10_000),
        ("payment_applied", -10_000, 0),
        ("payment_unapplied", -2_000, -2_000),
    ];
    assert_eq!(moves, expected.map(|(kind, amount, balance)| (kind.to_owned(), amount, balance)));
    assert_eq!(statement["lines"][0]["invoice_number"], number.as_str());

    let csv = owner
        .get(&app, &format!("/api/v1/billing/customers/{buyer}/statement?format=csv&currency=EUR"))
        .await;
    let text = csv.text();
    assert_eq!(text.lines().count(), 5, "header, opening and three movements: {text}");
    assert!(text.lines().nth(1).unwrap().contains("opening_balance"), "{text}");
    let usd =
        owner.get(&app, &format!("/api/v1/billing/customers/{buyer}/statement?currency=USD")).await.json();
    assert_eq!((usd["lines"].as_array().unwrap().len(), usd["closing_balance"].as_i64()), (0, Some(0)));
    let long_ago = owner
        .get(&app, &format!("/api/v1/billing/customers/{buyer}/statement?from=2020-01-01&to=2020-01-31"))
        .await
        .json();
    assert_eq!(long_ago["lines"], json!([]));
    let later = owner
        .get(&app, &format!("/api/v1/billing/customers/{buyer}/statement?from=2099-01-01&to=2099-01-31"))
        .await
        .json();
    assert_eq!(later["opening_balance"], -2_000, "what came before the range is the opening balance");

    let elsewhere = app.organization("Elsewhere").await.owner;
    elsewhere
        .get(&app, &format!("/api/v1/billing/customers/{buyer}/statement"))
        .await
        .assert_problem(404, "not_found");
    let backwards = owner
        .get(&app, &format!("/api/v1/billing/customers/{buyer}/statement?from=2026-02-01&to=2026-01-01"))
        .await;
    backwards.assert_problem(422, "validation_failed");
}
