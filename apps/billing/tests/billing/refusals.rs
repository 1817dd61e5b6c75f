//! Bad input: a clear 422 by field path (or 400 for a body that is not the shape), at once,
//! and nothing written.

use baseops_test_support::TestApp;
use serde_json::{Value, json};

use crate::support::{customer, tax_rate};

#[tokio::test]
async fn every_bad_invoice_is_refused_by_field_and_nothing_is_made() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Eve").await;
    let inclusive = tax_rate(&app, &owner, "VAT incl.", "20", true).await;
    let exclusive = tax_rate(&app, &owner, "Levy", "5", false).await;
    let stranger = app.organization("Other").await.owner;
    let foreign = customer(&app, &stranger, "Foreign").await;
    let line = |extra: Value| {
        let mut line = json!({"description": "Item", "quantity": 1, "unit_amount": 100});
        line.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        line
    };
    let cases = [
        (json!({"lines": [line(json!({"quantity": "-1"}))]}), "lines[0].quantity"),
        (json!({"lines": [line(json!({"quantity": 0}))]}), "lines[0].quantity"),
        (json!({"lines": [line(json!({"unit_amount": -5}))]}), "lines[0].unit_amount"),
        (json!({"lines": [line(json!({"unit_amount": i64::MAX}))]}), "lines[0].unit_amount"),
        (
            json!({"lines": [line(json!({"quantity": "1000000", "unit_amount": 1_000_000_000_000_000_i64}))]}),
            "lines[0].unit_amount",
        ),
        (json!({"lines": [line(json!({"description": "  "}))]}), "lines[0].description"),
        (json!({"lines": [line(json!({"description": "a\u{0}b"}))]}), "lines[0].description"),
        (json!({"lines": [line(json!({"tax_rate_ids": [uuid::Uuid::nil()]}))]}), "lines[0].tax_rate_ids"),
        (json!({"lines": [line(json!({"tax_rate_ids": [inclusive, exclusive]}))]}), "lines[0].tax_rate_ids"),
        (json!({"lines": [line(json!({"discount": {"amount": 101}}))]}), "lines[0].discount"),
        (json!({"lines": [line(json!({"discount": {"percent": "10", "amount": 1}}))]}), "lines[0].discount"),
        (json!({"lines": [line(json!({}))], "discount": {"percent": "100.5"}}), "discount"),
        (json!({"lines": vec![line(json!({})); 501]}), "lines"),
        (json!({"lines": [line(json!({}))], "payment_terms_days": 400}), "payment_terms_days"),
        (json!({"lines": [line(json!({}))], "memo": "x".repeat(5_001)}), "memo"),
        (json!({"lines": [line(json!({}))], "customer_id": foreign}), "customer_id"),
    ];
    for (mut body, field) in cases {
        if body.get("customer_id").is_none() {
            body["customer_id"] = json!(buyer);
        }
        let refused = owner.post(&app, "/api/v1/billing/invoices", body).await;
        let problem = refused.assert_problem(422, "validation_failed");
        assert!(problem["errors"].get(field).is_some(), "{field}: {problem}");
    }
    // Not the shape at all: the JSON extractor's 422 on the field.
    for body in [
        json!({"customer_id": buyer, "currency": "XXX"}),
        json!({"customer_id": buyer, "lines": [line(json!({"quantity": 1.5}))]}),
        json!({"customer_id": buyer, "lines": [line(json!({"quantity": "1.23456"}))]}),
        json!({"customer_id": buyer, "surprise": true}),
    ] {
        assert_eq!(owner.post(&app, "/api/v1/billing/invoices", body).await.status, 422);
    }
    assert_eq!(
        owner.get(&app, "/api/v1/billing/invoices").await.json()["items"],
        json!([]),
        "nothing was made"
    );

    let rate = |body: Value| async { owner.post(&app, "/api/v1/billing/tax-rates", body).await };
    rate(json!({"name": "", "percent": "5"})).await.assert_problem(422, "validation_failed");
    rate(json!({"name": "Big", "percent": "101"})).await.assert_problem(422, "validation_failed");
    rate(json!({"name": "Both", "percent": "5", "inclusive": true, "compound": true}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(owner.get(&app, "/api/v1/billing/tax-rates").await.json().as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_archived_rate_is_refused_for_new_lines_and_a_draft_without_lines_cannot_be_finalized() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = customer(&app, &owner, "Fay").await;
    let rate = tax_rate(&app, &owner, "Old VAT", "16", false).await;
    let archived = owner
        .patch(&app, &format!("/api/v1/billing/tax-rates/{rate}"), json!({"archived": true}), Some(1))
        .await;
    assert_eq!(archived.status, 200, "{}", archived.text());
    let lines = json!([{"description": "Item", "quantity": 1, "unit_amount": 100, "tax_rate_ids": [rate]}]);
    let refused =
        owner.post(&app, "/api/v1/billing/invoices", json!({"customer_id": buyer, "lines": lines})).await;
    assert!(refused.assert_problem(422, "validation_failed")["errors"]["lines[0].tax_rate_ids"].is_array());

    let empty = owner.post(&app, "/api/v1/billing/invoices", json!({"customer_id": buyer})).await.json();
    let id = empty["id"].as_str().unwrap();
    let refused = owner.post(&app, &format!("/api/v1/billing/invoices/{id}/finalize"), json!({})).await;
    refused.assert_problem(422, "validation_failed");
    let still = owner.get(&app, &format!("/api/v1/billing/invoices/{id}")).await.json();
    assert_eq!(
        (still["status"].as_str(), still["number"].as_str()),
        (Some("draft"), None),
        "nothing changed"
    );
}

#[tokio::test]
async fn a_malformed_body_is_a_422_whatever_state_the_invoice_is_in() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let buyer = crate::support::customer(&app, &owner, "Xia").await;
    let draft = crate::support::simple_draft(&app, &owner, &buyer, 1_000).await;
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    let open = crate::support::finalized(&app, &owner, &buyer, 1_000).await;
    let long = "x".repeat(5_001);
    let patch = owner
        .send(
            &app,
            http::Method::PATCH,
            &format!("/api/v1/billing/invoices/{open}"),
            Some(serde_json::json!({"memo": long})),
            &[("if-match", "\"2\"")],
        )
        .await;
    patch.assert_problem(422, "validation_failed");
    let post = |path: String, body: serde_json::Value| {
        let (app, owner) = (&app, &owner);
        async move { crate::support::post_keyed(app, owner, &path, "k", body).await }
    };
    let note = post(
        format!("/api/v1/billing/invoices/{draft_id}/credit-notes"),
        serde_json::json!({"amount": 0, "reason": "other"}),
    );
    note.await.assert_problem(422, "validation_failed");
    let credit =
        post(format!("/api/v1/billing/invoices/{draft_id}/apply-credit"), serde_json::json!({"amount": 0}));
    credit.await.assert_problem(422, "validation_failed");
    let too_much = serde_json::json!({"amount": 1_000_000_000_000_001_i64, "reason": "other"});
    post(format!("/api/v1/billing/invoices/{draft_id}/credit-notes"), too_much)
        .await
        .assert_problem(422, "validation_failed");
    let too_much = serde_json::json!({"amount": 1_000_000_000_000_001_i64});
    post(format!("/api/v1/billing/invoices/{draft_id}/apply-credit"), too_much)
        .await
        .assert_problem(422, "validation_failed");
}
