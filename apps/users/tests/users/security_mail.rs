//! Security notices: each change to how an account is signed in to — a password changed or
//! reset, two-factor login on or off, a new API token — mails its owner exactly once, saying
//! when and from where, and a token's notice never carries the token.

use baseops_test_support::{Client, PASSWORD, TestApp, link_token};
use baseops_users::two_factor::{code_at, from_base32};
use http::Method;
use serde_json::json;

const NEW_PASSWORD: &str = "violet-harbor-77-lamp";
const USER_AGENT: &str = "notice-test/1.0";

/// A message's `Subject` header.
fn subject(message: &str) -> &str {
    message.lines().find_map(|line| line.strip_prefix("Subject: ")).expect("a Subject header")
}

/// The messages sent to `to` so far whose subject is `wanted`.
async fn mailed(app: &TestApp, to: &str, wanted: &str) -> Vec<String> {
    let header = format!("\r\nTo: {to}\r\n");
    app.emails().await.into_iter().filter(|m| m.contains(&header) && subject(m) == wanted).collect()
}

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

#[tokio::test]
async fn a_password_change_is_mailed_once_with_the_user_agent_and_the_reset_page() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let jane = Client::logged_in(&app, "jane@example.com").await;
    let body = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    let changed =
        jane.send(&app, Method::POST, "/api/v1/me/password", Some(body), &[("User-Agent", USER_AGENT)]).await;
    assert_eq!(changed.status, 204, "{}", changed.text());

    let mail = app.only_email_to("jane@example.com").await;
    assert_eq!(subject(&mail), "Your baseops password was changed");
    assert!(mail.contains(USER_AGENT), "{mail}");
    assert!(mail.contains("http://localhost:8000/admin/reset-password"), "{mail}");
    assert!(!mail.contains(NEW_PASSWORD), "{mail}");
}

#[tokio::test]
async fn a_password_reset_is_mailed_once_besides_the_link() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let asked = Client::anonymous()
        .post(&app, "/api/v1/auth/password-reset", json!({"email": "jane@example.com"}))
        .await;
    assert_eq!(asked.status, 202, "{}", asked.text());
    let token = link_token(&app.only_email_to("jane@example.com").await);
    // A refused password mails nothing.
    let weak = json!({"token": token, "new_password": "short"});
    Client::anonymous()
        .post(&app, "/api/v1/auth/password-reset/confirm", weak)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(app.emails().await.len(), 1);

    let body = json!({"token": token, "new_password": NEW_PASSWORD});
    let reset = Client::anonymous().post(&app, "/api/v1/auth/password-reset/confirm", body).await;
    assert_eq!(reset.status, 204, "{}", reset.text());
    assert_eq!(app.emails().await.len(), 2, "the link and the notice");
    let notices = mailed(&app, "jane@example.com", "Your baseops password was reset").await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(!notices[0].contains(&token), "{}", notices[0]);
    assert!(mailed(&app, "jane@example.com", "Your baseops password was changed").await.is_empty());
}

#[tokio::test]
async fn turning_two_factor_login_on_and_off_is_mailed_once_each() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let jane = Client::logged_in(&app, "jane@example.com").await;
    let setup = jane.post(&app, "/api/v1/me/two-factor/setup", json!({})).await;
    assert_eq!(setup.status, 200, "{}", setup.text());
    let secret = from_base32(setup.json()["secret"].as_str().unwrap()).unwrap();
    // A wrong code changes nothing and mails nothing; nor does setting up.
    jane.post(&app, "/api/v1/me/two-factor/enable", json!({"code": "000000"}))
        .await
        .assert_problem(422, "validation_failed");
    assert!(app.emails().await.is_empty());

    let code = code_at(&secret, now() - 30).unwrap();
    let enabled = jane.post(&app, "/api/v1/me/two-factor/enable", json!({"code": code})).await;
    assert_eq!(enabled.status, 200, "{}", enabled.text());
    let mail = app.only_email_to("jane@example.com").await;
    assert_eq!(subject(&mail), "Two-factor login is on for your baseops account");
    let recovery_code = enabled.json()["recovery_codes"][0].as_str().unwrap().to_owned();
    assert!(!mail.contains(&recovery_code), "{mail}");

    let off = json!({"password": PASSWORD, "recovery_code": recovery_code});
    let disabled = jane.post(&app, "/api/v1/me/two-factor/disable", off).await;
    assert_eq!(disabled.status, 204, "{}", disabled.text());
    assert_eq!(app.emails().await.len(), 2);
    let notices = mailed(&app, "jane@example.com", "Two-factor login is off for your baseops account").await;
    assert_eq!(notices.len(), 1, "{notices:?}");
}

#[tokio::test]
async fn a_new_api_token_is_mailed_with_its_name_and_organization_never_its_value() {
    let app = TestApp::new().await;
    let org = app.org().await.clone();
    let jane = app.user("jane@example.com").await;
    app.join(jane, org.id, "sales").await;
    let client = Client::logged_in(&app, "jane@example.com").await;
    let created =
        client.post(&app, "/api/v1/tokens", json!({"name": "deploy-bot", "scopes": ["members.view"]})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let token = created.json()["token"].as_str().unwrap().to_owned();

    let mail = app.only_email_to("jane@example.com").await;
    assert_eq!(subject(&mail), "New API token for your baseops account");
    assert!(mail.contains("deploy-bot") && mail.contains("Acme"), "{mail}");
    assert!(!mail.contains(&token), "the token was mailed: {mail}");
    assert!(!mail.contains(&token[..10]), "the token's prefix was mailed: {mail}");

    // Trading the password for a token is a new token too.
    let grant = json!({
        "email": "jane@example.com", "password": PASSWORD, "organization_id": org.id,
        "name": "script", "scopes": ["members.view"],
    });
    let granted = Client::anonymous().post(&app, "/api/v1/auth/token", grant).await;
    assert_eq!(granted.status, 201, "{}", granted.text());
    let granted = granted.json()["token"].as_str().unwrap().to_owned();
    let notices = mailed(&app, "jane@example.com", "New API token for your baseops account").await;
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices.iter().all(|notice| !notice.contains(&granted)), "{notices:?}");
}
