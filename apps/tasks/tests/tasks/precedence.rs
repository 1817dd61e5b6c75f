//! A body is checked once, at the edge, yet a request that is wrong in several ways gets the
//! answer it always got: refusals that came first still come first (a reused idempotency key,
//! a task outside the caller's scope, someone else's comment, a stale version), and a body's
//! own problems are reported together with those only the database finds.

use baseops_test_support::TestApp;
use http::Method;
use serde_json::json;
use uuid::Uuid;

use crate::support::{create_task, id_of};

#[tokio::test]
async fn field_problems_come_with_the_database_ones_in_one_answer() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let nowhere = Uuid::now_v7();
    let problem = owner
        .post(&app, "/api/v1/tasks", json!({"title": "", "parent_id": nowhere}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"]["parent_id"], json!(["no such task"]), "{problem}");
    assert!(problem["errors"]["title"].is_array(), "{problem}");

    let task = create_task(&app, owner, json!({"title": "Plan"})).await;
    let path = format!("/api/v1/tasks/{}", id_of(&task));
    let body = json!({"estimate_minutes": -1, "status": "nowhere", "related_type": "Bad", "recurrence": {"frequency": "daily"}});
    let problem = owner.patch(&app, &path, body, Some(1)).await.assert_problem(422, "validation_failed");
    let mut fields: Vec<&str> = problem["errors"].as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["estimate_minutes", "recurrence", "related_id", "status"], "{problem}");
}

#[tokio::test]
async fn earlier_refusals_still_come_before_a_bad_body() {
    let app = TestApp::new().await;
    let org = app.org().await.clone();
    let owner = &org.owner;

    // A reused idempotency key, whatever the new body holds.
    let key = [("idempotency-key", "create-1")];
    let first = owner.send(&app, Method::POST, "/api/v1/tasks", Some(json!({"title": "One"})), &key).await;
    assert_eq!(first.status, 201, "{}", first.text());
    owner
        .send(&app, Method::POST, "/api/v1/tasks", Some(json!({"title": ""})), &key)
        .await
        .assert_problem(422, "idempotency_key_reused");

    // A member who sees every task but may only edit and comment on their own.
    let role = owner
        .post(
            &app,
            "/api/v1/roles",
            json!({"name": "Reviewer", "grants": {"tasks.view": "all", "tasks.edit": "own", "tasks.comment": "own"}}),
        )
        .await;
    assert_eq!(role.status, 201, "{}", role.text());
    let reviewer = app.signed_in_member(org.id, "reviewer@acme.test", "viewer").await;
    let membership = app.membership_id(owner, "reviewer@acme.test").await;
    let given = owner
        .put(&app, &format!("/api/v1/members/{membership}/roles"), json!({"roles": [role.json()["id"]]}))
        .await;
    assert_eq!(given.status, 204, "{}", given.text());

    let task = create_task(&app, owner, json!({"title": "Owner's"})).await;
    let path = format!("/api/v1/tasks/{}", id_of(&task));
    reviewer.patch(&app, &path, json!({"title": ""}), Some(1)).await.assert_problem(403, "forbidden");
    reviewer
        .post(&app, &format!("{path}/comments"), json!({"body": " "}))
        .await
        .assert_problem(403, "forbidden");

    // Someone else's comment, and a stale version.
    let comment = owner.post(&app, &format!("{path}/comments"), json!({"body": "Mine"})).await;
    assert_eq!(comment.status, 201, "{}", comment.text());
    let comment_path = format!("{path}/comments/{}", id_of(&comment.json()));
    let manager = app.as_role("manager").await;
    manager.patch(&app, &comment_path, json!({"body": ""}), None).await.assert_problem(403, "not_author");
    owner.patch(&app, &path, json!({"title": ""}), Some(7)).await.assert_problem(412, "version_mismatch");
}
