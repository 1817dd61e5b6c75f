//! Optimistic concurrency on a notification preference (`PUT
//! /notifications/preferences/{kind}`, an upsert): a preference carries a version, read as
//! `version` in `GET /notifications/preferences` and sent back as `If-Match`. The header is
//! optional: a stale version is 412 and changes nothing, junk is 412, `If-Match` on a
//! preference that does not exist is 412 and creates nothing, and without it the preference
//! is created or overwritten as it always was.

use baseops_test_support::{Client, TestApp, TestResponse};
use http::Method;
use serde_json::{Value, json};

fn channels(in_app: bool, email: bool, digest: bool) -> Value {
    json!({"in_app": in_app, "email": email, "digest": digest})
}

/// `PUT /api/v1/notifications/preferences/{kind}` with this `If-Match` header.
async fn put(
    app: &TestApp,
    client: &Client,
    kind: &str,
    body: Value,
    if_match: Option<&str>,
) -> TestResponse {
    let headers: Vec<(&str, &str)> = if_match.iter().map(|value| ("if-match", *value)).collect();
    let path = format!("/api/v1/notifications/preferences/{kind}");
    client.send(app, Method::PUT, &path, Some(body), &headers).await
}

/// The caller's preferences as `GET /api/v1/notifications/preferences` shows them.
async fn preferences(app: &TestApp, client: &Client) -> Value {
    let response = client.get(app, "/api/v1/notifications/preferences").await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

#[tokio::test]
async fn a_preference_is_changed_only_at_the_version_read() {
    let app = TestApp::new().await;
    app.user("ada@example.com").await;
    let ada = Client::logged_in(&app, "ada@example.com").await;

    // If-Match names a version of a preference that does not exist yet: nothing is created.
    let missing = put(&app, &ada, "task.assigned", channels(true, true, false), Some("\"1\"")).await;
    missing.assert_problem(412, "version_mismatch");
    assert_eq!(preferences(&app, &ada).await["kinds"], json!([]));

    let created = put(&app, &ada, "task.assigned", channels(true, true, false), None).await;
    assert_eq!((created.status.as_u16(), created.header("etag")), (200, Some("\"1\"")), "{}", created.text());
    assert_eq!(created.json()["version"], 1);
    assert_eq!(preferences(&app, &ada).await["kinds"][0]["version"], 1);

    let first = put(&app, &ada, "task.assigned", channels(true, false, true), Some("\"1\"")).await;
    assert_eq!((first.status.as_u16(), first.header("etag")), (200, Some("\"2\"")), "{}", first.text());
    assert_eq!(
        first.json(),
        json!({"kind": "task.assigned", "in_app": true, "email": false, "digest": true, "version": 2})
    );

    // A second writer still holding version 1 changes nothing.
    let stale = put(&app, &ada, "task.assigned", channels(false, false, false), Some("\"1\"")).await;
    stale.assert_problem(412, "version_mismatch");
    assert_eq!(
        preferences(&app, &ada).await["kinds"],
        json!([{"kind": "task.assigned", "in_app": true, "email": false, "digest": true, "version": 2}])
    );

    for junk in ["W/\"2\"", "2", "\"2"] {
        let response = put(&app, &ada, "task.assigned", channels(false, false, false), Some(junk)).await;
        response.assert_problem(412, "version_mismatch");
    }

    // Without If-Match the preference is overwritten, and its version still moves.
    let unconditional = put(&app, &ada, "task.assigned", channels(false, true, false), None).await;
    assert_eq!((unconditional.status.as_u16(), unconditional.header("etag")), (200, Some("\"3\"")));
    assert_eq!(
        preferences(&app, &ada).await["kinds"],
        json!([{"kind": "task.assigned", "in_app": false, "email": true, "digest": false, "version": 3}])
    );
    assert_eq!(app.audit(None, "notification_preference.set").await.len(), 3, "only the writes are audited");

    // The default (`*`) has its version beside it once set.
    assert_eq!(preferences(&app, &ada).await["default_version"], Value::Null);
    put(&app, &ada, "*", channels(true, true, true), Some("\"1\""))
        .await
        .assert_problem(412, "version_mismatch");
    let default = put(&app, &ada, "*", channels(true, true, true), None).await;
    assert_eq!((default.status.as_u16(), default.header("etag")), (200, Some("\"1\"")));
    let changed = put(&app, &ada, "*", channels(true, false, false), Some("\"1\"")).await;
    assert_eq!((changed.status.as_u16(), changed.header("etag")), (200, Some("\"2\"")));
    let now = preferences(&app, &ada).await;
    assert_eq!((&now["default"], &now["default_version"]), (&channels(true, false, false), &json!(2)));

    // Preferences are per user: another user's If-Match finds no preference of theirs.
    app.user("bob@example.com").await;
    let bob = Client::logged_in(&app, "bob@example.com").await;
    put(&app, &bob, "task.assigned", channels(true, true, true), Some("\"3\""))
        .await
        .assert_problem(412, "version_mismatch");
    assert_eq!(preferences(&app, &ada).await["kinds"][0]["version"], 3);
}
