//! Likely duplicates in the console and merging them, as `GET /leads/duplicates` and
//! `POST /leads/{id}/merge` do.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

use crate::support::{all_leads, create_lead};

#[tokio::test]
async fn a_group_of_duplicates_is_merged_into_the_lead_chosen() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let first = create_lead(&app, &owner, json!({"first_name": "Ada", "email": "ada@engines.test"})).await;
    let second = create_lead(
        &app,
        &owner,
        json!({"last_name": "Lovelace", "email": "ADA@engines.test", "company": "Engines"}),
    )
    .await;
    create_lead(&app, &owner, json!({"first_name": "Grace", "email": "grace@navy.test"})).await;
    let person = Client::logged_in(&app, &owner.email).await;
    let page = person.get(&app, "/admin/leads/duplicates").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("ada@engines.test") && !html.contains("grace@navy.test"), "{html}");
    let form = page.form("merge-1");
    assert_eq!(
        form.get("survivor"),
        Some(first["id"].as_str().unwrap()),
        "the oldest stays by default: {form:?}"
    );

    let merged = person.post_form(&app, "/admin/leads/duplicates", &form.pairs()).await;
    assert_eq!(
        (merged.status.as_u16(), merged.header("location")),
        (303, Some("/admin/leads/duplicates?done=merged"))
    );
    let leads = all_leads(&app, &owner, "").await;
    assert_eq!(leads.len(), 2, "{leads:?}");
    let ada = leads.iter().find(|lead| lead["id"] == first["id"]).expect("the survivor");
    assert_eq!(
        (ada["last_name"].as_str(), ada["company"].as_str()),
        (Some("Lovelace"), Some("Engines")),
        "blanks filled"
    );
    assert_eq!(
        owner.get(&app, &format!("/api/v1/leads/{}", second["id"].as_str().unwrap())).await.status,
        404
    );
    assert!(
        person
            .get(&app, "/admin/leads/duplicates?done=merged")
            .await
            .text()
            .contains("No likely duplicates.")
    );

    let none = person
        .post_form(&app, "/admin/leads/duplicates", &form.clone().with(&[("survivor", "nope")]).pairs())
        .await;
    assert_eq!(none.status, 422, "{}", none.text());
}

#[tokio::test]
async fn a_viewer_sees_duplicates_but_cannot_merge_them() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await;
    let a = create_lead(&app, &owner, json!({"first_name": "A", "email": "same@example.test"})).await;
    let b = create_lead(&app, &owner, json!({"first_name": "B", "email": "same@example.test"})).await;
    let viewer = Client::logged_in(&app, "viewer@acme.test").await;
    let page = viewer.get(&app, "/admin/leads/duplicates").await;
    assert_eq!(page.status, 200);
    assert!(!page.text().contains("name=\"survivor\""), "{}", page.text());
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let forged = viewer
        .post_form(
            &app,
            "/admin/leads/duplicates",
            &[("csrf_token", &page.csrf_token()), ("survivor", a), ("merge", b)],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert_eq!(all_leads(&app, &owner, "").await.len(), 2);
}
