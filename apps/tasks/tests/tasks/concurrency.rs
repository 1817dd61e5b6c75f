//! Optimistic concurrency (If-Match / ETag) and idempotent creation (Idempotency-Key).

use baseops_test_support::TestApp;
use http::Method;
use serde_json::json;

use crate::support::{create_task, id_of, task};

#[tokio::test]
async fn a_second_writer_with_a_stale_version_gets_412() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let id = id_of(&create_task(&app, owner, json!({"title": "Quote for Ada"})).await);
    let path = format!("/api/v1/tasks/{id}");
    let read = owner.get(&app, &path).await;
    assert_eq!(read.header("etag"), Some("\"1\""));

    let first = owner.patch(&app, &path, json!({"title": "Quote for Ada Lovelace"}), Some(1)).await;
    assert_eq!((first.status.as_u16(), first.header("etag")), (200, Some("\"2\"")), "{}", first.text());
    let second = owner.patch(&app, &path, json!({"priority": "urgent"}), Some(1)).await;
    second.assert_problem(412, "version_mismatch");
    let now = task(&app, owner, &id).await;
    assert_eq!(
        (now["title"].as_str(), now["priority"].as_str()),
        (Some("Quote for Ada Lovelace"), Some("normal"))
    );

    owner.patch(&app, &path, json!({"title": "x"}), None).await.assert_problem(428, "precondition_required");
    for junk in ["*", "W/\"2\"", "2", "\"abc\""] {
        let response =
            owner.send(&app, Method::PATCH, &path, Some(json!({"title": "x"})), &[("if-match", junk)]).await;
        response.assert_problem(412, "version_mismatch");
    }
    assert_eq!(task(&app, owner, &id).await["version"], 2);
}

#[tokio::test]
async fn concurrent_writers_with_the_same_version_change_the_task_once() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let id = id_of(&create_task(&app, owner, json!({"title": "Race"})).await);
    let path = format!("/api/v1/tasks/{id}");
    let write = |n: u8| {
        let (app, path) = (&app, path.clone());
        async move {
            owner.patch(app, &path, json!({"title": format!("writer {n}")}), Some(1)).await.status.as_u16()
        }
    };
    let (a, b, c, d) = tokio::join!(write(1), write(2), write(3), write(4));
    let mut statuses = [a, b, c, d];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412, 412, 412]);
    assert_eq!(task(&app, owner, &id).await["version"], 2);
}

#[tokio::test]
async fn a_create_retried_with_its_idempotency_key_creates_once() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let body = json!({"title": "Send the contract", "labels": ["legal"]});
    let key = [("idempotency-key", "create-contract-1")];
    let first = owner.send(&app, Method::POST, "/api/v1/tasks", Some(body.clone()), &key).await;
    let again = owner.send(&app, Method::POST, "/api/v1/tasks", Some(body.clone()), &key).await;
    assert_eq!((first.status.as_u16(), again.status.as_u16()), (201, 201));
    assert_eq!(first.json()["id"], again.json()["id"], "the retry answers the first task");
    let other = owner.send(&app, Method::POST, "/api/v1/tasks", Some(json!({"title": "Other"})), &key).await;
    other.assert_problem(422, "idempotency_key_reused");
    let listed = owner.get(&app, "/api/v1/tasks").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let bad = owner.send(&app, Method::POST, "/api/v1/tasks", Some(body), &[("idempotency-key", "")]).await;
    bad.assert_problem(400, "invalid_idempotency_key");
}
