//! Re-authentication and one's sessions (docs/security.md): the current password a change asks
//! for goes through the login throttle, and after repeated wrong ones the session that guessed
//! is ended; turning two-factor off needs a code as well; a user lists their live sessions and
//! ends the ones they do not recognise; a password reset revokes their API tokens.

use std::sync::Arc;

use baseops_test_support::{Client, PASSWORD, TestApp};
use baseops_users::two_factor::{code_at, from_base32};
use serde_json::json;

use crate::support::login_from;
use tokio::task::JoinSet;

const PER_PAIR: usize = 5;

fn change(current: &str) -> serde_json::Value {
    json!({"current_password": current, "new_password": "a-brand-new-passphrase-7"})
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_and_end_the_session() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let stolen = Client::logged_in(&app, "jane@example.com").await;
    for _ in 0..PER_PAIR - 1 {
        stolen
            .post(&app, "/api/v1/me/password", change("guess-at-the-password-1"))
            .await
            .assert_problem(403, "wrong_password");
    }
    stolen
        .post(&app, "/api/v1/me/password", change("guess-at-the-password-1"))
        .await
        .assert_problem(401, "session_ended");
    assert_eq!(stolen.get(&app, "/api/v1/me").await.status, 401, "the session outlived the guessing");
    assert_eq!(app.audit(None, "user.check_failed").await.len(), PER_PAIR);
    assert_eq!(app.audit(None, "user.session_ended").await.len(), 1);
    // The password is unchanged; this address now waits, the owner elsewhere does not.
    Client::login(&app, "jane@example.com", PASSWORD).await.1.assert_problem(429, "rate_limited");
    let elsewhere = login_from(&app, [198, 51, 100, 9], None, "jane@example.com", PASSWORD).await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.text());
}

// Several threads: the attempts reach the database truly at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_current_passwords_get_no_more_checks_than_the_limit() {
    let app = Arc::new(TestApp::new().await);
    app.user("jane@example.com").await;
    let stolen = Client::logged_in(&app, "jane@example.com").await;
    let mut burst = JoinSet::new();
    for _ in 0..30 {
        let (app, stolen) = (app.clone(), stolen.clone());
        burst.spawn(async move {
            stolen.post(&app, "/api/v1/me/password", change("guess-at-the-password-1")).await.status.as_u16()
        });
    }
    let answers = burst.join_all().await;
    assert!(answers.iter().all(|status| [401, 403, 429].contains(status)), "{answers:?}");
    let checked = app.audit(None, "user.check_failed").await.len();
    assert_eq!(checked, PER_PAIR, "{answers:?}");
    assert_eq!(stolen.get(&app, "/api/v1/me").await.status, 401);
}

#[tokio::test]
async fn turning_two_factor_off_needs_the_password_and_a_code() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let client = Client::logged_in(&app, "jane@example.com").await;
    let setup = client.post(&app, "/api/v1/me/two-factor/setup", json!({})).await.json();
    let secret = from_base32(setup["secret"].as_str().unwrap()).unwrap();
    let now = || u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let enabled = client
        .post(&app, "/api/v1/me/two-factor/enable", json!({"code": code_at(&secret, now() - 30).unwrap()}))
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.text());

    let disable = "/api/v1/me/two-factor/disable";
    client
        .post(&app, disable, json!({"password": PASSWORD}))
        .await
        .assert_problem(403, "invalid_second_factor");
    client
        .post(&app, disable, json!({"password": PASSWORD, "totp_code": "000000"}))
        .await
        .assert_problem(403, "invalid_second_factor");
    client
        .post(
            &app,
            disable,
            json!({"password": "not-it-at-all-1", "totp_code": code_at(&secret, now()).unwrap()}),
        )
        .await
        .assert_problem(403, "wrong_password");
    let off = client
        .post(&app, disable, json!({"password": PASSWORD, "totp_code": code_at(&secret, now()).unwrap()}))
        .await;
    assert_eq!(off.status, 204, "{}", off.text());
    assert_eq!(Client::login(&app, "jane@example.com", PASSWORD).await.1.status, 200, "still on");
}

#[tokio::test]
async fn a_user_lists_their_sessions_and_ends_one() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    app.user("john@example.com").await;
    let laptop = Client::logged_in(&app, "jane@example.com").await;
    let phone = Client::logged_in(&app, "jane@example.com").await;
    let john = Client::logged_in(&app, "john@example.com").await;

    let listed = laptop.get(&app, "/api/v1/me/sessions").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let listed = listed.json();
    let sessions = listed.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{listed}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(
        sessions.iter().all(|s| s.get("token_hash").is_none() && s.get("csrf_token").is_none()),
        "{listed}"
    );
    let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();

    // Someone else's session is not found, whatever its id.
    let johns = john.get(&app, "/api/v1/me/sessions").await.json()[0]["id"].as_str().unwrap().to_owned();
    laptop.delete(&app, &format!("/api/v1/me/sessions/{johns}")).await.assert_problem(404, "not_found");
    assert_eq!(john.get(&app, "/api/v1/me").await.status, 200);

    let ended = laptop.delete(&app, &format!("/api/v1/me/sessions/{other}")).await;
    assert_eq!(ended.status, 204, "{}", ended.text());
    assert_eq!(phone.get(&app, "/api/v1/me").await.status, 401);
    assert_eq!(laptop.get(&app, "/api/v1/me").await.status, 200);
    assert_eq!(laptop.get(&app, "/api/v1/me/sessions").await.json().as_array().unwrap().len(), 1);
    assert_eq!(app.audit(None, "user.session_revoked").await.len(), 1);
}
