//! Two-factor login through the API: enrolment, login with a code, replay, recovery codes.

use baseops_test_support::{Client, PASSWORD, TestApp, TestResponse};
use baseops_users::two_factor::{code_at, from_base32};
use serde_json::{Value, json};

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

/// Jane logs in with her password and the `extra` fields (a code).
async fn login(app: &TestApp, extra: Value) -> TestResponse {
    let mut body = json!({"email": "jane@example.com", "password": PASSWORD});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    Client::anonymous().post(app, "/api/v1/auth/login", body).await
}

#[tokio::test]
async fn two_factor_login_needs_a_fresh_code_or_an_unused_recovery_code() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let client = Client::logged_in(&app, "jane@example.com").await;

    client
        .post(&app, "/api/v1/me/two-factor/enable", json!({"code": "123456"}))
        .await
        .assert_problem(409, "two_factor_not_started");
    let enrolment = client.post(&app, "/api/v1/me/two-factor/setup", json!({})).await;
    assert_eq!(enrolment.status, 200, "{}", enrolment.text());
    let enrolment = enrolment.json();
    assert!(enrolment["otpauth_url"].as_str().unwrap().starts_with("otpauth://totp/"));
    assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = from_base32(enrolment["secret"].as_str().unwrap()).unwrap();

    // Until confirmed, login is unchanged.
    assert_eq!(login(&app, json!({})).await.status, 200);
    client
        .post(&app, "/api/v1/me/two-factor/enable", json!({"code": "000000"}))
        .await
        .assert_problem(422, "validation_failed");
    // The code of 30 s ago is still inside the skew window; enabling consumes its step.
    let enabled = client
        .post(&app, "/api/v1/me/two-factor/enable", json!({"code": code_at(&secret, now() - 30).unwrap()}))
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.text());
    let recovery: Vec<String> = enabled.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);

    login(&app, json!({})).await.assert_problem(401, "two_factor_required");
    login(&app, json!({"totp_code": "000000"})).await.assert_problem(401, "invalid_second_factor");
    let current = code_at(&secret, now()).unwrap();
    let ok = login(&app, json!({"totp_code": current})).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    login(&app, json!({"totp_code": current})).await.assert_problem(401, "invalid_second_factor");

    let with_recovery = login(&app, json!({"recovery_code": recovery[0].to_lowercase()})).await;
    assert_eq!(with_recovery.status, 200, "{}", with_recovery.text());
    login(&app, json!({"recovery_code": recovery[0]})).await.assert_problem(401, "invalid_second_factor");
    // A wrong password never reaches the second factor.
    let wrong = Client::anonymous()
        .post(
            &app,
            "/api/v1/auth/login",
            json!({"email": "jane@example.com", "password": "nope-nope-123", "recovery_code": recovery[1]}),
        )
        .await;
    wrong.assert_problem(401, "invalid_credentials");
    assert_eq!(
        login(&app, json!({"recovery_code": recovery[1]})).await.status,
        200,
        "the wrong-password attempt used the code"
    );

    client
        .post(&app, "/api/v1/me/two-factor/disable", json!({"password": "wrong-password-1"}))
        .await
        .assert_problem(403, "wrong_password");
    let body = json!({"password": PASSWORD, "recovery_code": recovery[2]});
    let off = client.post(&app, "/api/v1/me/two-factor/disable", body).await;
    assert_eq!(off.status, 204, "{}", off.text());
    assert_eq!(login(&app, json!({})).await.status, 200);
}

#[tokio::test]
async fn wrong_second_factors_count_towards_the_lock_out() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let client = Client::logged_in(&app, "jane@example.com").await;
    let secret = client.post(&app, "/api/v1/me/two-factor/setup", json!({})).await.json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = from_base32(&secret).unwrap();
    let enabled = client
        .post(&app, "/api/v1/me/two-factor/enable", json!({"code": code_at(&secret, now() - 30).unwrap()}))
        .await;
    assert_eq!(enabled.status, 200);
    for _ in 0..5 {
        login(&app, json!({"totp_code": "999999"})).await.assert_problem(401, "invalid_second_factor");
    }
    login(&app, json!({"totp_code": code_at(&secret, now()).unwrap()}))
        .await
        .assert_problem(429, "rate_limited");
}
