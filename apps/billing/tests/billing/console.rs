//! Invoices in the console: the list by status with customers' names, an invoice's page with
//! its figures, and its moves as forms at the version shown — refused for stale pages, hidden
//! and refused without the permission, 404 for another organization.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

use crate::support::{customer, draft};

#[tokio::test]
async fn an_invoice_is_listed_shown_and_finalized_from_its_page() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Nia").await;
    let lines = json!([{"description": "Annual plan", "quantity": 1, "unit_amount": 123_456}]);
    let invoice = draft(&app, &owner, json!({"customer_id": buyer, "lines": lines})).await;
    let id = invoice["id"].as_str().unwrap();
    let person = Client::logged_in(&app, &owner.email).await;

    let list = person.get(&app, "/admin/invoices").await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert!(list.text().contains("Nia Ltd"), "the customer's name is shown");
    assert!(list.text().contains("1,234.56 EUR"));
    assert!(!person.get(&app, "/admin/invoices?status=open").await.text().contains("1,234.56 EUR"));

    let page = person.get(&app, &format!("/admin/invoices/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Annual plan"));
    let finalize = page.form("finalize");
    let moved = person.post_form(&app, &format!("/admin/invoices/{id}/finalize"), &finalize.pairs()).await;
    assert_eq!(moved.status, 303, "{}", moved.text());
    let shown = person.get(&app, moved.header("location").unwrap()).await.text();
    assert!(shown.contains("The invoice is finalized"), "{shown}");
    assert!(shown.contains("-000001"), "the number is shown");
    assert!(!shown.contains("id=\"finalize\""), "a finalized invoice offers no finalize");

    // The same form again (a stale page): refused on the page, nothing changes.
    let again = person.post_form(&app, &format!("/admin/invoices/{id}/finalize"), &finalize.pairs()).await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert!(again.text().contains("role=\"alert\""));
    let api = owner.get(&app, &format!("/api/v1/billing/invoices/{id}")).await.json();
    assert_eq!(api["status"], "open");
}

#[tokio::test]
async fn moves_are_hidden_and_refused_without_the_permission_and_others_see_nothing() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Oz").await;
    let invoice = draft(
        &app,
        &owner,
        json!({"customer_id": buyer, "lines": [{"description": "x", "quantity": 1, "unit_amount": 100}]}),
    )
    .await;
    let id = invoice["id"].as_str().unwrap();
    let sales = app.signed_in_as_role("sales").await;
    let page = sales.get(&app, &format!("/admin/invoices/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.text().contains("id=\"finalize\""), "sales may look, not finalize");
    let csrf = baseops_test_support::csrf_token_in(&page.text());
    let refused = sales
        .post_form(
            &app,
            &format!("/admin/invoices/{id}/finalize"),
            &[("csrf_token", &csrf), ("version", "1")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let support = app.signed_in_as_role("marketer").await;
    assert_eq!(support.get(&app, "/admin/invoices").await.status, 403, "marketers see no billing");
    let stranger = app.organization("Far").await.owner;
    let stranger = Client::logged_in(&app, &stranger.email).await;
    assert_eq!(stranger.get(&app, &format!("/admin/invoices/{id}")).await.status, 404);
    assert_eq!(owner.get(&app, &format!("/api/v1/billing/invoices/{id}")).await.json()["status"], "draft");
}
