//! An invoice's life through the API: a draft totalled and edited, finalized with the next
//! number, immutable afterwards, voided; audit records and the other organization's 404.

use baseops_test_support::TestApp;
use chrono::{Days, NaiveDate};
use serde_json::json;

use crate::support::{act, customer, draft, simple_draft, tax_rate};

#[tokio::test]
async fn a_draft_is_totalled_edited_finalized_with_its_number_and_then_immutable() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Ada").await;
    let vat = tax_rate(&app, &owner, "VAT", "19", false).await;
    let lines = json!([
        {"description": "Design", "quantity": "2.5", "unit_amount": 10_000, "tax_rate_ids": [vat]},
        {"description": "Hosting", "quantity": 1, "unit_amount": 4_999, "discount": {"percent": "10"}},
    ]);
    let invoice = draft(&app, &owner, json!({"customer_id": buyer, "lines": lines, "memo": "Thanks!"})).await;
    // 2.5 × 100.00 = 250.00 + 19 % = 47.50; 49.99 − 10 % (5.00) = 44.99.
    assert_eq!(invoice["status"], "draft");
    assert_eq!(invoice["number"], json!(null));
    assert_eq!(invoice["currency"], "EUR", "the organization's currency by default");
    assert_eq!((invoice["subtotal"].as_i64(), invoice["discount_total"].as_i64()), (Some(29_999), Some(500)));
    assert_eq!((invoice["tax_total"].as_i64(), invoice["total"].as_i64()), (Some(4_750), Some(34_249)));
    assert_eq!(invoice["taxes"][0]["name"], "VAT");
    assert_eq!(invoice["taxes"][0]["base"], 25_000);
    assert_eq!(invoice["lines"][0]["quantity"], "2.5");
    let id = invoice["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/billing/invoices/{id}");

    // Edits need the version read; a stale one is refused and changes nothing.
    let lines =
        json!([{"description": "Design", "quantity": 3, "unit_amount": 10_000, "tax_rate_ids": [vat]}]);
    let stale = owner.patch(&app, &path, json!({"lines": lines.clone()}), Some(7)).await;
    stale.assert_problem(412, "version_mismatch");
    let edited =
        owner.patch(&app, &path, json!({"lines": lines, "discount": {"amount": 1_000}}), Some(1)).await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    let edited = edited.json();
    // 300.00 − 10.00 = 290.00 + 19 % = 55.10.
    assert_eq!((edited["net_total"].as_i64(), edited["tax_total"].as_i64()), (Some(29_000), Some(5_510)));
    assert_eq!(edited["lines"].as_array().unwrap().len(), 1);
    assert_eq!(edited["memo"], "Thanks!", "fields left out stay");

    let finalized = act(&app, &owner, &id, "finalize").await;
    assert_eq!(finalized.status, 200, "{}", finalized.text());
    let finalized = finalized.json();
    assert_eq!(finalized["status"], "open");
    let number = finalized["number"].as_str().unwrap();
    let issued: NaiveDate = finalized["issued_on"].as_str().unwrap().parse().unwrap();
    assert_eq!(number, format!("INV-{}-000001", chrono::Datelike::year(&issued)));
    let due: NaiveDate = finalized["due_on"].as_str().unwrap().parse().unwrap();
    assert_eq!(due, issued.checked_add_days(Days::new(30)).unwrap(), "30 days' terms by default");
    assert_eq!(finalized["amount_due"], 34_510);

    // Immutable once open: corrections are credit notes.
    let version = finalized["version"].as_i64();
    owner
        .patch(&app, &path, json!({"memo": "changed"}), version)
        .await
        .assert_problem(409, "invoice_not_draft");
    owner.delete(&app, &path).await.assert_problem(409, "invoice_not_draft");
    act(&app, &owner, &id, "finalize").await.assert_problem(409, "invalid_transition");

    let second = simple_draft(&app, &owner, &buyer, 100).await;
    let second = act(&app, &owner, second["id"].as_str().unwrap(), "finalize").await.json();
    assert_eq!(second["number"], format!("INV-{}-000002", chrono::Datelike::year(&issued)));

    let voided = act(&app, &owner, &id, "void").await;
    assert_eq!(voided.status, 200, "{}", voided.text());
    assert_eq!(
        (voided.json()["status"].as_str(), voided.json()["amount_due"].as_i64()),
        (Some("void"), Some(0))
    );
    act(&app, &owner, &id, "void").await.assert_problem(409, "invalid_transition");
    act(&app, &owner, &id, "mark-uncollectible").await.assert_problem(409, "invalid_transition");

    let audit =
        owner.get(&app, &format!("/api/v1/audit/events?entity_type=invoice&entity_id={id}")).await.json();
    let actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["invoice.void", "invoice.finalize", "invoice.update", "invoice.create"]);
}

#[tokio::test]
async fn drafts_are_deleted_and_uncollectible_invoices_can_still_be_voided() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Bob").await;
    let doomed = simple_draft(&app, &owner, &buyer, 500).await;
    let path = format!("/api/v1/billing/invoices/{}", doomed["id"].as_str().unwrap());
    assert_eq!(owner.delete(&app, &path).await.status, 204);
    assert_eq!(owner.get(&app, &path).await.status, 404);

    let invoice = simple_draft(&app, &owner, &buyer, 500).await;
    let id = invoice["id"].as_str().unwrap();
    act(&app, &owner, id, "void").await.assert_problem(409, "invalid_transition");
    assert_eq!(act(&app, &owner, id, "finalize").await.status, 200);
    let written_off = act(&app, &owner, id, "mark-uncollectible").await;
    assert_eq!(written_off.json()["status"], "uncollectible");
    assert_eq!(written_off.json()["amount_due"], 500, "still payable");
    assert_eq!(act(&app, &owner, id, "void").await.json()["status"], "void");

    // A zero total is paid as it is finalized.
    let free = simple_draft(&app, &owner, &buyer, 0).await;
    let free = act(&app, &owner, free["id"].as_str().unwrap(), "finalize").await.json();
    assert_eq!((free["status"].as_str(), free["amount_due"].as_i64()), (Some("paid"), Some(0)));
    let open = owner.get(&app, "/api/v1/billing/invoices?status=void").await.json();
    assert_eq!(open["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn roles_decide_who_bills_and_other_organizations_see_nothing() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Cy").await;
    let invoice = simple_draft(&app, &owner, &buyer, 1_000).await;
    let id = invoice["id"].as_str().unwrap();
    let path = format!("/api/v1/billing/invoices/{id}");

    let accountant = app.as_role("accountant").await;
    assert_eq!(act(&app, &accountant, id, "finalize").await.status, 200);
    let sales = app.as_role("sales").await;
    assert_eq!(sales.get(&app, &path).await.status, 200, "sales may read");
    let body = json!({"customer_id": buyer, "lines": []});
    sales.post(&app, "/api/v1/billing/invoices", body).await.assert_problem(403, "forbidden");
    act(&app, &sales, id, "void").await.assert_problem(403, "forbidden");
    let rate = json!({"name": "X", "percent": "1"});
    app.as_role("manager")
        .await
        .post(&app, "/api/v1/billing/tax-rates", rate)
        .await
        .assert_problem(403, "forbidden");

    let stranger = app.organization("Elsewhere").await.owner;
    stranger.get(&app, &path).await.assert_problem(404, "not_found");
    act(&app, &stranger, id, "void").await.assert_problem(404, "not_found");
    assert_eq!(stranger.get(&app, "/api/v1/billing/invoices").await.json()["items"], json!([]));
}

#[tokio::test]
async fn settings_change_the_prefix_terms_and_rounding_of_new_invoices() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let settings = owner.get(&app, "/api/v1/billing/settings").await;
    assert_eq!(settings.header("etag"), Some("\"0\""));
    let change = json!({"invoice_prefix": "ACME", "payment_terms_days": 14, "rounding_mode": "half_up"});
    owner
        .patch(&app, "/api/v1/billing/settings", change.clone(), Some(3))
        .await
        .assert_problem(412, "version_mismatch");
    let saved = owner.patch(&app, "/api/v1/billing/settings", change, Some(0)).await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    let bad = json!({"invoice_prefix": "bad prefix"});
    owner
        .patch(&app, "/api/v1/billing/settings", bad, Some(1))
        .await
        .assert_problem(422, "validation_failed");

    let buyer = customer(&app, &owner, "Di").await;
    let lines = json!([{"description": "Half", "quantity": "0.5", "unit_amount": 5}]);
    let invoice = draft(&app, &owner, json!({"customer_id": buyer, "lines": lines})).await;
    assert_eq!(invoice["total"], 3, "2.5 cents rounds half up");
    let finalized = act(&app, &owner, invoice["id"].as_str().unwrap(), "finalize").await.json();
    assert!(finalized["number"].as_str().unwrap().starts_with("ACME-"));
    assert_eq!(finalized["payment_terms_days"], 14);
}
