//! Duplicates, merging, and converting won leads into customers.

use baseops_test_support::TestApp;
use serde_json::json;

use crate::support::{all_leads, create_lead, stages};

#[tokio::test]
async fn duplicates_are_found_and_merged_field_by_field() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let sales = app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let survivor = create_lead(
        &app,
        &owner,
        json!({"first_name": "Ada", "email": "ada@example.com", "tags": ["a"], "owner_id": sales.user_id}),
    )
    .await;
    let twin = create_lead(&app, &owner,
            json!({"first_name": "Augusta Ada", "last_name": "King", "email": "ADA@example.com", "phone": "+1 201 555 0123",
                   "company": "Engines", "tags": ["b"], "value_amount": 900}),
        )
        .await;
    let phone_twin =
        create_lead(&app, &owner, json!({"first_name": "A. King", "phone": "(201) 555-0123"})).await;
    create_lead(&app, &owner, json!({"first_name": "Unrelated", "email": "other@example.com"})).await;
    let (survivor_id, twin_id) = (survivor["id"].as_str().unwrap(), twin["id"].as_str().unwrap());
    let call = owner
        .post(
            &app,
            &format!("/api/v1/leads/{twin_id}/activities"),
            json!({"kind": "call", "body": "Called", "duration_minutes": 5}),
        )
        .await;
    assert_eq!(call.status, 201, "{}", call.text());

    let groups = owner.get(&app, "/api/v1/leads/duplicates").await.json();
    let reasons: Vec<(&str, usize)> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["reason"].as_str().unwrap(), g["leads"].as_array().unwrap().len()))
        .collect();
    assert_eq!(reasons, [("email", 2), ("phone", 2)]);
    let of_one = owner.get(&app, &format!("/api/v1/leads/duplicates?lead_id={twin_id}")).await.json();
    assert_eq!(of_one.as_array().unwrap().len(), 2);

    let merge = format!("/api/v1/leads/{survivor_id}/merge");
    owner
        .post(&app, &merge, json!({"merge_ids": [survivor_id]}))
        .await
        .assert_problem(422, "validation_failed");
    owner
        .post(&app, &merge, json!({"merge_ids": [twin_id], "fields": {"password": twin_id}}))
        .await
        .assert_problem(422, "validation_failed");
    sales.post(&app, &merge, json!({"merge_ids": [twin_id]})).await.assert_problem(403, "forbidden");
    let merged = owner
        .post(
            &app,
            &merge,
            json!({"merge_ids": [twin_id, phone_twin["id"]], "fields": {"first_name": twin_id, "last_name": twin_id}}),
        )
        .await;
    assert_eq!(merged.status, 200, "{}", merged.text());
    let merged = merged.json();
    assert_eq!(merged["first_name"], "Augusta Ada", "chosen from the twin");
    assert_eq!(merged["email"], "ada@example.com", "the survivor's own value");
    assert_eq!(merged["company"], "Engines", "a blank filled from the first merged lead");
    assert_eq!(merged["phone"], "+12015550123");
    assert_eq!(merged["value_amount"], 900);
    assert_eq!(merged["tags"], json!(["a", "b"]));
    assert_eq!(merged["owner_id"], sales.user_id.to_string());
    owner.get(&app, &format!("/api/v1/leads/{twin_id}")).await.assert_problem(404, "not_found");
    let timeline = owner.get(&app, &format!("/api/v1/leads/{survivor_id}/activities")).await.json();
    let kinds: Vec<&str> =
        timeline["items"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["merge", "call"], "the twin's call moved to the survivor");
    assert_eq!(all_leads(&app, &owner, "").await.len(), 2);
    assert!(owner.get(&app, "/api/v1/leads/duplicates").await.json().as_array().unwrap().is_empty());
    assert_eq!(app.audit(Some(owner.organization_id), "lead.merge").await.len(), 1);
    assert_eq!(app.audit(Some(owner.organization_id), "lead.merged_away").await.len(), 2);
}

#[tokio::test]
async fn a_won_lead_converts_into_a_customer_once() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let sales = app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let stage = stages(&app, &owner).await;
    let lead = create_lead(
        &app,
        &sales,
        json!({"first_name": "Buyer", "company": "Buyer Ltd", "email": "b@buyer.test"}),
    )
    .await;
    let id = lead["id"].as_str().unwrap();
    let convert = format!("/api/v1/leads/{id}/convert");
    sales.post(&app, &convert, json!({})).await.assert_problem(409, "not_won");
    let won = sales.post(&app, &format!("/api/v1/leads/{id}/stage"), json!({"stage_id": stage["Won"]})).await;
    assert_eq!(won.status, 200, "{}", won.text());
    let converted = sales.post(&app, &convert, json!({})).await;
    assert_eq!(converted.status, 201, "{}", converted.text());
    let converted = converted.json();
    let customer_id = converted["customer_id"].as_str().unwrap();
    assert_eq!(converted["lead"]["customer_id"], customer_id);
    assert!(converted["lead"]["converted_at"].is_string());
    sales.post(&app, &convert, json!({})).await.assert_problem(409, "already_converted");

    let customer = owner.get(&app, &format!("/api/v1/customers/{customer_id}")).await;
    assert_eq!(customer.status, 200, "{}", customer.text());
    let customer = customer.json();
    assert_eq!((customer["name"].as_str(), customer["lead_id"].as_str()), (Some("Buyer Ltd"), Some(id)));
    let events = app.event_names().await;
    assert!(events.iter().any(|name| name == "lead.converted"));
    let other = app.organization("Other").await.owner;
    other.get(&app, &format!("/api/v1/customers/{customer_id}")).await.assert_problem(404, "not_found");
}
