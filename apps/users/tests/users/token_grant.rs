//! `POST /auth/token`: a script trades e-mail and password for an API token — the same
//! checks and throttle as login, scopes limited to what the user holds.

use baseops_test_support::{Client, PASSWORD, TestApp};
use serde_json::{Value, json};

fn grant(organization_id: uuid::Uuid, password: &str) -> Value {
    json!({
        "email": "owner@acme.test", "password": password, "organization_id": organization_id,
        "name": "nightly export", "scopes": ["tasks.view"],
    })
}

async fn grants_audited(app: &TestApp, organization_id: uuid::Uuid) -> usize {
    let events = app.audit(Some(organization_id), "token.create").await;
    events.iter().filter(|event| event.changes.to_canonical_json().contains("nightly export")).count()
}

#[tokio::test]
async fn a_password_buys_a_token_limited_to_its_scopes() {
    let app = TestApp::new().await;
    let org = app.org().await;
    let created = Client::anonymous().post(&app, "/api/v1/auth/token", grant(org.id, PASSWORD)).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let body = created.json();
    assert_eq!(body["scopes"], json!(["tasks.view"]));
    assert_eq!(body["organization_id"], json!(org.id));
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("bo_"), "{token}");

    let script = Client::bearer(token);
    assert_eq!(script.get(&app, "/api/v1/tasks").await.status, 200);
    script
        .post(&app, "/api/v1/tasks", json!({"title": "Not allowed"}))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(grants_audited(&app, org.id).await, 1, "the grant is audited as a token creation");
}

#[tokio::test]
async fn wrong_credentials_foreign_organizations_and_unheld_scopes_get_no_token() {
    let app = TestApp::new().await;
    let org = app.org().await.clone();
    let other = app.organization("Globex").await;
    let anonymous = Client::anonymous();
    anonymous
        .post(&app, "/api/v1/auth/token", grant(org.id, "wrong-password-123"))
        .await
        .assert_problem(401, "invalid_credentials");
    anonymous
        .post(&app, "/api/v1/auth/token", grant(other.id, PASSWORD))
        .await
        .assert_problem(403, "not_a_member");
    anonymous
        .post(&app, "/api/v1/auth/token", grant(uuid::Uuid::now_v7(), PASSWORD))
        .await
        .assert_problem(403, "not_a_member");
    let mut unheld = grant(org.id, PASSWORD);
    unheld["scopes"] = json!(["tasks.view", "no.such_permission"]);
    let problem =
        anonymous.post(&app, "/api/v1/auth/token", unheld).await.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["scopes[1]"].is_array(), "{problem}");
    let mut unnamed = grant(org.id, PASSWORD);
    unnamed["name"] = json!("");
    anonymous.post(&app, "/api/v1/auth/token", unnamed).await.assert_problem(422, "validation_failed");
    assert_eq!(grants_audited(&app, org.id).await, 0, "nothing was created");
}

#[tokio::test]
async fn the_grant_shares_the_login_throttle() {
    let app = TestApp::new().await;
    let org = app.org().await;
    for _ in 0..5 {
        Client::login(&app, "owner@acme.test", "wrong-password-123")
            .await
            .1
            .assert_problem(401, "invalid_credentials");
    }
    let locked = Client::anonymous().post(&app, "/api/v1/auth/token", grant(org.id, PASSWORD)).await;
    locked.assert_problem(429, "rate_limited");
    assert!(locked.header("retry-after").is_some());
}
