//! A new password is judged once the request is otherwise known good, and against the account
//! it is for: a wrong current password or a dead link is the answer, whatever the new password.
//! An invited person who already has an account is not asked for a name or a password.

use baseops_test_support::{Client, TestApp, link_token};
use serde_json::json;

#[tokio::test]
async fn a_weak_password_is_judged_after_the_request_is_known_good() {
    let app = TestApp::new().await;
    app.user("jane.doe.long@example.com").await;
    let jane = Client::logged_in(&app, "jane.doe.long@example.com").await;
    jane.post(
        &app,
        "/api/v1/me/password",
        json!({"current_password": "nope-nope-123", "new_password": "short"}),
    )
    .await
    .assert_problem(403, "wrong_password");
    let own_address = jane
        .post(
            &app,
            "/api/v1/me/password",
            json!({"current_password": baseops_test_support::PASSWORD, "new_password": "Jane.Doe.Long"}),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(own_address["errors"]["password"], json!(["is too easy to guess"]), "{own_address}");

    Client::anonymous()
        .post(
            &app,
            "/api/v1/auth/password-reset/confirm",
            json!({"token": "x".repeat(43), "new_password": "short"}),
        )
        .await
        .assert_problem(400, "invalid_link");
}

#[tokio::test]
async fn an_existing_account_accepts_without_a_name_or_password() {
    let app = TestApp::new().await;
    let org = app.org().await.clone();
    let owner = app.signed_in_owner(&org).await;
    app.user("nina@example.com").await;
    let invited =
        owner.post(&app, "/api/v1/invitations", json!({"email": "nina@example.com", "role": "sales"})).await;
    assert_eq!(invited.status, 201, "{}", invited.text());
    let token = link_token(&app.only_email_to("nina@example.com").await);
    let nina = Client::logged_in(&app, "nina@example.com").await;
    // Fields only a new account needs are not looked at, however they look.
    let body = json!({"token": token, "display_name": "n".repeat(500), "password": "short"});
    let accepted = nina.post(&app, "/api/v1/invitations/accept", body).await;
    assert_eq!(accepted.status, 201, "{}", accepted.text());
}
