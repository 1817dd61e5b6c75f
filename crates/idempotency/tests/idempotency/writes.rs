//! Every write with an `Idempotency-Key`, through the platform's middleware: a retry gets the
//! first answer, another request with the key is refused, a running one is busy.

use baseops_test_support::TestApp;
use http::Method;
use serde_json::json;

async fn roles_named(app: &TestApp, owner: &baseops_test_support::Client, name: &str) -> usize {
    let roles = owner.get(app, "/api/v1/roles").await.json();
    roles.as_array().unwrap().iter().filter(|role| role["name"] == name).count()
}

#[tokio::test]
async fn a_retried_write_gets_the_first_answer_and_changes_nothing_twice() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let body = json!({"name": "Auditors", "description": "Read the trail", "grants": {"audit.view": "all"}});
    let headers = [("idempotency-key", "create-auditors-1")];
    let first = owner.send(&app, Method::POST, "/api/v1/roles", Some(body.clone()), &headers).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert!(first.header("idempotency-replayed").is_none());
    let retry = owner.send(&app, Method::POST, "/api/v1/roles", Some(body.clone()), &headers).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    assert_eq!(retry.json(), first.json(), "the same answer, the same role");
    assert_eq!(retry.header("content-type"), first.header("content-type"));
    assert_eq!(roles_named(&app, &owner, "Auditors").await, 1);
    assert_eq!(
        app.audit(Some(owner.organization_id), "role.create")
            .await
            .iter()
            .filter(|e| e.changes.to_canonical_json().contains("Auditors"))
            .count(),
        1
    );

    // The same key with another body is refused and creates nothing.
    let other = json!({"name": "Auditors 2", "grants": {"audit.view": "all"}});
    owner
        .send(&app, Method::POST, "/api/v1/roles", Some(other), &headers)
        .await
        .assert_problem(422, "idempotency_key_reused");
    assert_eq!(roles_named(&app, &owner, "Auditors 2").await, 0);

    // Another principal's key is theirs: the same key works independently.
    let admin = app.as_role("admin").await;
    let theirs = json!({"name": "Theirs", "grants": {"audit.view": "all"}});
    let created = admin.send(&app, Method::POST, "/api/v1/roles", Some(theirs), &headers).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert!(created.header("idempotency-replayed").is_none());
}

#[tokio::test]
async fn refused_writes_are_replayed_too_and_bad_keys_are_refused() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let bad = json!({"name": "", "grants": {}});
    let headers = [("idempotency-key", "bad-role")];
    let first = owner.send(&app, Method::POST, "/api/v1/roles", Some(bad.clone()), &headers).await;
    first.assert_problem(422, "validation_failed");
    let retry = owner.send(&app, Method::POST, "/api/v1/roles", Some(bad), &headers).await;
    assert_eq!(retry.status, 422);
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    assert_eq!(retry.header("content-type"), Some("application/problem+json"));

    for key in ["", " padded", &"k".repeat(201)] {
        let response = owner
            .send(
                &app,
                Method::POST,
                "/api/v1/roles",
                Some(json!({"name": "X", "grants": {}})),
                &[("idempotency-key", key)],
            )
            .await;
        response.assert_problem(400, "invalid_idempotency_key");
    }
    assert_eq!(roles_named(&app, &owner, "X").await, 0);
}

/// Makes every claim look unanswered, claimed `age` ago by `request_id` (`None`: the same
/// request as before) — a request still running, or one whose process died.
async fn unanswer(app: &TestApp, age: chrono::Duration, request_id: Option<&str>) {
    use baseops_idempotency::model::idempotent_request::{ActiveModel, Entity};
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let mut row = ActiveModel {
        status: Set(None),
        body: Set(None),
        created_at: Set(chrono::Utc::now() - age),
        ..Default::default()
    };
    if let Some(id) = request_id {
        row.request_id = Set(Some(id.to_owned()));
    }
    Entity::update_many().set(row).exec(app.state().db().write()).await.unwrap();
}

const PENDING: &str = "/api/v1/roles";

fn pending() -> serde_json::Value {
    json!({"name": "Pending", "grants": {"audit.view": "all"}})
}

#[tokio::test]
async fn a_key_of_a_running_request_is_busy() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let headers = [("idempotency-key", "in-flight")];
    let first = owner.send(&app, Method::POST, PENDING, Some(pending()), &headers).await;
    assert_eq!(first.status, 201);
    // Claimed a minute ago by a request that has not answered: within its lease, it may
    // still be running, whatever the trail says.
    unanswer(&app, chrono::Duration::seconds(60), Some("still-running")).await;
    owner
        .send(&app, Method::POST, PENDING, Some(pending()), &headers)
        .await
        .assert_problem(409, "idempotency_key_busy");
    assert_eq!(roles_named(&app, &owner, "Pending").await, 1);
}

#[tokio::test]
async fn a_request_that_died_after_committing_keeps_its_key_busy() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let headers = [("idempotency-key", "died-after-commit")];
    let first = owner.send(&app, Method::POST, PENDING, Some(pending()), &headers).await;
    assert_eq!(first.status, 201);
    // Its change and audit event committed, its answer was never stored, and the lease is
    // long over: running it again would create the role twice.
    unanswer(&app, chrono::Duration::hours(1), None).await;
    owner
        .send(&app, Method::POST, PENDING, Some(pending()), &headers)
        .await
        .assert_problem(409, "idempotency_key_busy");
    assert_eq!(roles_named(&app, &owner, "Pending").await, 1);
}

#[tokio::test]
async fn a_request_that_died_before_committing_is_run_by_its_retry() {
    let app = TestApp::new().await;
    let owner = app.org().await.owner.clone();
    let headers = [("idempotency-key", "died-before-commit")];
    let first = owner.send(&app, Method::POST, PENDING, Some(pending()), &headers).await;
    assert_eq!(first.status, 201);
    let removed = owner.delete(&app, &format!("{PENDING}/{}", first.json()["id"].as_str().unwrap())).await;
    assert_eq!(removed.status, 204, "{}", removed.text());
    assert_eq!(roles_named(&app, &owner, "Pending").await, 0);
    // The claim belongs to a request of which the trail holds nothing: it died before its
    // transaction committed.
    unanswer(&app, chrono::Duration::hours(1), Some("died-before-commit-request")).await;
    let retry = owner.send(&app, Method::POST, PENDING, Some(pending()), &headers).await;
    assert_eq!(retry.status, 201, "{}", retry.text());
    assert!(retry.header("idempotency-replayed").is_none(), "it ran, it was not replayed");
    assert_eq!(roles_named(&app, &owner, "Pending").await, 1);
    // Its answer is stored now: the next retry replays it.
    let again = owner.send(&app, Method::POST, PENDING, Some(pending()), &headers).await;
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(again.json(), retry.json());
}
