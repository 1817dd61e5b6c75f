//! Optimistic concurrency on editing a comment (`PATCH /tasks/{id}/comments/{comment_id}`):
//! a comment carries a version, read as `version` in the list and sent back as `If-Match`.
//! Unlike a task's, the header is optional: a stale version is 412 and changes nothing, junk
//! is 412, and without it the edit works as it always did.

use baseops_test_support::{Client, TestApp};
use http::Method;
use serde_json::{Value, json};

/// The comments of task `task` as `GET /api/v1/tasks/{task}/comments` lists them.
async fn comments(app: &TestApp, client: &Client, task: &str) -> Vec<Value> {
    let response = client.get(app, &format!("/api/v1/tasks/{task}/comments")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().as_array().expect("a list of comments").clone()
}

#[tokio::test]
async fn a_comment_is_edited_only_at_the_version_read() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let task = owner.post(&app, "/api/v1/tasks", json!({"title": "Quote for Ada"})).await;
    assert_eq!(task.status, 201, "{}", task.text());
    let task = task.json()["id"].as_str().expect("an id").to_owned();
    let written =
        owner.post(&app, &format!("/api/v1/tasks/{task}/comments"), json!({"body": "Draft sent"})).await;
    assert_eq!(written.status, 201, "{}", written.text());
    let comment = written.json()["id"].as_str().expect("an id").to_owned();
    assert_eq!(written.json()["version"], 1);
    assert_eq!(comments(&app, owner, &task).await[0]["version"], 1);
    let path = format!("/api/v1/tasks/{task}/comments/{comment}");

    let first = owner.patch(&app, &path, json!({"body": "Draft sent to Ada"}), Some(1)).await;
    assert_eq!((first.status.as_u16(), first.header("etag")), (200, Some("\"2\"")), "{}", first.text());
    assert_eq!(first.json()["version"], 2);

    // A second edit still holding version 1 changes nothing.
    owner.patch(&app, &path, json!({"body": "Stale"}), Some(1)).await.assert_problem(412, "version_mismatch");
    let now = &comments(&app, owner, &task).await[0];
    assert_eq!((&now["body"], &now["version"]), (&json!("Draft sent to Ada"), &json!(2)));

    for junk in ["W/\"2\"", "2", "\"99999999999\""] {
        let body = Some(json!({"body": "Junk"}));
        owner
            .send(&app, Method::PATCH, &path, body, &[("if-match", junk)])
            .await
            .assert_problem(412, "version_mismatch");
    }

    let unconditional = owner.patch(&app, &path, json!({"body": "Final draft sent to Ada"}), None).await;
    assert_eq!((unconditional.status.as_u16(), unconditional.header("etag")), (200, Some("\"3\"")));
    // The same text again changes nothing and keeps the version.
    let same = owner.patch(&app, &path, json!({"body": "Final draft sent to Ada"}), Some(3)).await;
    assert_eq!((same.status.as_u16(), same.header("etag")), (200, Some("\"3\"")), "{}", same.text());
    let now = &comments(&app, owner, &task).await[0];
    assert_eq!((&now["body"], &now["version"]), (&json!("Final draft sent to Ada"), &json!(3)));
    assert!(now["edited_at"].is_string());

    // Only the author edits, whatever version is named; another organization does not see it.
    let manager = app.as_role("manager").await;
    manager.patch(&app, &path, json!({"body": "Mine"}), Some(3)).await.assert_problem(403, "not_author");
    let globex = app.organization("Globex").await;
    globex.owner.patch(&app, &path, json!({"body": "Ours"}), Some(3)).await.assert_problem(404, "not_found");
    assert_eq!(comments(&app, owner, &task).await[0]["version"], 3);
}
