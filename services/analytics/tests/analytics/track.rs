//! `POST /api/v1/analytics/events`: bounded batches, recorded whole or not at all.

use baseops_test_support::TestApp;
use chrono::{TimeDelta, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

async fn recorded(app: &TestApp) -> i64 {
    let db = app.state().db().write();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM analytics_events",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn a_batch_is_recorded_and_counted() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let body = json!({"events": [
        {"name": "console.page_viewed", "properties": {"page": "/admin/leads", "ms": 12.5, "first": true}},
        {"name": "integration.sync", "occurred_at": (Utc::now() - TimeDelta::days(2)).to_rfc3339()},
    ]});
    let response = owner.post(&app, "/api/v1/analytics/events", body).await;
    assert_eq!(response.status, 202, "{}", response.text());
    assert_eq!(response.json()["recorded"], 2);
    assert_eq!(recorded(&app).await, 2);
}

#[tokio::test]
async fn bad_batches_are_refused_at_their_path_and_record_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let event = json!({"name": "console.click"});
    let too_many = json!({"events": vec![event.clone(); 101]});
    let problem =
        owner.post(&app, "/api/v1/analytics/events", too_many).await.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["events"].is_array(), "{problem}");

    let bad_name = json!({"events": [event.clone(), {"name": "Bad-Name"}]});
    let problem =
        owner.post(&app, "/api/v1/analytics/events", bad_name).await.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["events[1].name"].is_array(), "{problem}");

    let reserved = json!({"events": [{"name": "lead.created"}]});
    let problem =
        owner.post(&app, "/api/v1/analytics/events", reserved).await.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["events[0].name"].is_array(), "{problem}");

    let too_old = json!({"events": [event.clone(), {"name": "old.one", "occurred_at": (Utc::now() - TimeDelta::days(8)).to_rfc3339()}]});
    let problem =
        owner.post(&app, "/api/v1/analytics/events", too_old).await.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["events[1].occurred_at"].is_array(), "{problem}");

    let ahead = json!({"events": [{"name": "soon", "occurred_at": (Utc::now() + TimeDelta::minutes(10)).to_rfc3339()}]});
    owner.post(&app, "/api/v1/analytics/events", ahead).await.assert_problem(422, "validation_failed");

    let nested =
        json!({"events": [{"name": "x", "properties": {"deep": {"a": 1}, "long": "y".repeat(201)}}]});
    let problem =
        owner.post(&app, "/api/v1/analytics/events", nested).await.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["events[0].properties.deep"].is_array(), "{problem}");
    assert!(problem["errors"]["events[0].properties.long"].is_array(), "{problem}");

    let keys: serde_json::Map<String, serde_json::Value> =
        (0..21).map(|n| (format!("k{n}"), json!(n))).collect();
    let wide = json!({"events": [{"name": "x", "properties": keys}]});
    owner.post(&app, "/api/v1/analytics/events", wide).await.assert_problem(422, "validation_failed");

    assert_eq!(recorded(&app).await, 0, "nothing recorded on refusal");
}

#[tokio::test]
async fn every_default_role_but_the_viewer_tracks() {
    let app = TestApp::new().await;
    let org = app.organization("Acme").await;
    let batch = json!({"events": [{"name": "console.opened"}]});
    for role in ["admin", "manager", "sales", "accountant", "marketer", "support"] {
        let member = app.member(org.id, role).await;
        let response = member.post(&app, "/api/v1/analytics/events", batch.clone()).await;
        assert_eq!(response.status, 202, "{role}: {}", response.text());
    }
    let viewer = app.member(org.id, "viewer").await;
    viewer.post(&app, "/api/v1/analytics/events", batch).await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn console_pages_tell_their_script_where_to_send_usage_and_the_session_may_send_it() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await;
    let marker = "<meta name=\"baseops-track\" content=\"&#x2f;api&#x2f;v1&#x2f;analytics&#x2f;events\">";

    let sales = baseops_test_support::Client::logged_in(&app, "sales@acme.test").await;
    let page = sales.get(&app, "/admin").await.text();
    assert!(page.contains(marker), "{page}");
    // The script's request: the session cookie and the page's CSRF token as a header.
    let body = json!({"events": [{"name": "console.page_viewed", "properties": {"page": "/admin/leads/{id}", "ms": 40}}]});
    let sent = sales.post(&app, "/api/v1/analytics/events", body.clone()).await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    assert_eq!(recorded(&app).await, 1);
    let forged = sales.clone().without_csrf().post(&app, "/api/v1/analytics/events", body).await;
    assert_eq!(forged.status, 403, "no CSRF header, nothing recorded: {}", forged.text());
    assert_eq!(recorded(&app).await, 1);

    // A viewer changes nothing, usage records included: no marker, so the script sends nothing.
    let viewer = baseops_test_support::Client::logged_in(&app, "viewer@acme.test").await;
    assert!(!viewer.get(&app, "/admin").await.text().contains("baseops-track"));
}
