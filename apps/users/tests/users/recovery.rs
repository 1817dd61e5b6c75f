//! Password reset and e-mail verification through the HTTP API, reading the mailed links
//! from the test's outbox.

use baseops_jobs::model::job;
use baseops_test_support::{Client, PASSWORD, TestApp, link_token};
use baseops_users::model::one_time_token;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

const NEW_PASSWORD: &str = "violet-harbor-77-lamp";

async fn expire_every_link(app: &TestApp) {
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::ExpiresAt, Expr::value(past))
        .exec(app.state().db().write())
        .await
        .unwrap();
}

async fn ask_for_a_reset_link(app: &TestApp, email: &str) {
    let response =
        Client::anonymous().post(app, "/api/v1/auth/password-reset", json!({"email": email})).await;
    assert_eq!(response.status, 202, "{}", response.text());
}

#[tokio::test]
async fn a_reset_request_answers_the_same_for_known_and_unknown_addresses() {
    let app = TestApp::new().await;
    let jane = app.user("jane@example.com").await;

    let known = Client::anonymous()
        .post(&app, "/api/v1/auth/password-reset", json!({"email": " Jane@Example.com"}))
        .await;
    let unknown = Client::anonymous()
        .post(&app, "/api/v1/auth/password-reset", json!({"email": "nobody@example.com"}))
        .await;
    assert_eq!(known.status, 202, "{}", known.text());
    assert_eq!((unknown.status, unknown.json()), (known.status, known.json()));

    assert_eq!(app.emails().await.len(), 1, "the unknown address was mailed");
    let message = app.only_email_to("jane@example.com").await;
    assert!(message.contains("Subject: Reset your baseops password"), "{message}");
    let token = link_token(&message);
    assert_eq!(token.len(), 43);
    assert!(
        message.contains(&format!("http://localhost:8000/admin/reset-password?token={token}")),
        "{message}"
    );

    let requested = app.audit(None, "user.password_reset_request").await;
    assert_eq!(requested.len(), 1);
    assert_eq!(
        (requested[0].actor_type.as_str(), requested[0].entity_id.as_str()),
        ("anonymous", jane.to_string().as_str())
    );
    let stored = one_time_token::Entity::find().all(app.state().db().read()).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, token, "the token is stored in clear");

    for bad in [
        json!({"email": "not-an-address"}),
        json!({"email": format!("{}@example.com", "a".repeat(250))}),
        json!({"email": "jane@example.com", "extra": 1}),
    ] {
        let refused = Client::anonymous().post(&app, "/api/v1/auth/password-reset", bad.clone()).await;
        assert_eq!(refused.status, 422, "{bad}: {}", refused.text());
    }
    assert_eq!(app.emails().await.len(), 1);
}

#[tokio::test]
async fn a_reset_link_sets_the_password_once_and_ends_every_session() {
    let app = TestApp::new().await;
    let jane = app.user("jane@example.com").await;
    let laptop = Client::logged_in(&app, "jane@example.com").await;
    let phone = Client::logged_in(&app, "jane@example.com").await;

    ask_for_a_reset_link(&app, "jane@example.com").await;
    let token = link_token(&app.only_email_to("jane@example.com").await);
    let body = json!({"token": token, "new_password": NEW_PASSWORD});
    let reset = Client::anonymous().post(&app, "/api/v1/auth/password-reset/confirm", body.clone()).await;
    assert_eq!(reset.status, 204, "{}", reset.text());

    assert_eq!(laptop.get(&app, "/api/v1/me").await.status, 401);
    assert_eq!(phone.get(&app, "/api/v1/me").await.status, 401);
    Client::login(&app, "jane@example.com", PASSWORD).await.1.assert_problem(401, "invalid_credentials");
    assert_eq!(Client::login(&app, "jane@example.com", NEW_PASSWORD).await.1.status, 200);

    let again = Client::anonymous()
        .post(
            &app,
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": "another-good-pass-9"}),
        )
        .await;
    again.assert_problem(400, "invalid_link");
    assert_eq!(
        Client::login(&app, "jane@example.com", NEW_PASSWORD).await.1.status,
        200,
        "the second use changed the password"
    );

    let reset_events = app.audit(None, "user.password_reset").await;
    assert_eq!(reset_events.len(), 1);
    assert_eq!(reset_events[0].entity_id, jane.to_string());
    assert_eq!(app.audit(None, "user.password_change").await.len(), 1);
}

#[tokio::test]
async fn a_weak_password_is_refused_and_the_link_still_works() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let session = Client::logged_in(&app, "jane@example.com").await;
    ask_for_a_reset_link(&app, "jane@example.com").await;
    let token = link_token(&app.only_email_to("jane@example.com").await);

    for weak in ["password123", "short", "jane@example.com"] {
        let refused = Client::anonymous()
            .post(&app, "/api/v1/auth/password-reset/confirm", json!({"token": token, "new_password": weak}))
            .await;
        let problem = refused.assert_problem(422, "validation_failed");
        assert!(problem["errors"]["password"].is_array(), "{problem}");
    }
    assert_eq!(session.get(&app, "/api/v1/me").await.status, 200, "a refused reset ended a session");
    assert_eq!(app.audit(None, "user.password_reset").await.len(), 0);

    let reset = Client::anonymous()
        .post(
            &app,
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(reset.status, 204, "{}", reset.text());
    assert_eq!(Client::login(&app, "jane@example.com", NEW_PASSWORD).await.1.status, 200);
}

#[tokio::test]
async fn expired_unknown_and_malformed_links_get_the_same_answer() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    ask_for_a_reset_link(&app, "jane@example.com").await;
    let token = link_token(&app.only_email_to("jane@example.com").await);
    expire_every_link(&app).await;

    let mut details = Vec::new();
    for token in
        [token.clone(), "forged".to_owned(), "x".repeat(101), String::new(), "' OR 1=1 --".to_owned()]
    {
        let refused = Client::anonymous()
            .post(
                &app,
                "/api/v1/auth/password-reset/confirm",
                json!({"token": token, "new_password": NEW_PASSWORD}),
            )
            .await;
        details.push(refused.assert_problem(400, "invalid_link")["detail"].clone());
    }
    assert!(details.windows(2).all(|pair| pair[0] == pair[1]), "{details:?}");
    assert_eq!(Client::login(&app, "jane@example.com", PASSWORD).await.1.status, 200, "the password changed");
    let verify =
        Client::anonymous().post(&app, "/api/v1/auth/verify-email/confirm", json!({"token": token})).await;
    verify.assert_problem(400, "invalid_link");
}

#[tokio::test]
async fn reset_links_are_throttled_per_account_without_saying_so() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    for _ in 0..5 {
        ask_for_a_reset_link(&app, "jane@example.com").await;
    }
    assert_eq!(app.emails().await.len(), 3);
    let live = one_time_token::Entity::find().count(app.state().db().read()).await.unwrap();
    assert_eq!(live, 3);

    // Using one link ends the others, and the account may ask again.
    let first = link_token(&app.emails().await[0]);
    let second = link_token(&app.emails().await[1]);
    let reset = Client::anonymous()
        .post(
            &app,
            "/api/v1/auth/password-reset/confirm",
            json!({"token": first, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(reset.status, 204, "{}", reset.text());
    Client::anonymous()
        .post(
            &app,
            "/api/v1/auth/password-reset/confirm",
            json!({"token": second, "new_password": "another-good-pass-9"}),
        )
        .await
        .assert_problem(400, "invalid_link");
    ask_for_a_reset_link(&app, "jane@example.com").await;
    assert_eq!(app.emails().await.len(), 5, "three links, the reset's security notice, a new link");
}

#[tokio::test]
async fn a_message_that_cannot_be_sent_is_retried_and_does_not_fail_the_request() {
    // The outbox is a path under a regular file: no message can be written there.
    let not_a_directory = tempfile::NamedTempFile::new().unwrap();
    let outbox = not_a_directory.path().join("outbox");
    let app = TestApp::with_settings(&[("BASEOPS_EMAIL__FILE_DIR", outbox.to_str().unwrap())]).await;
    app.user("jane@example.com").await;
    ask_for_a_reset_link(&app, "jane@example.com").await;
    // The link and its message were committed together; the message waits in the queue.
    let stored = one_time_token::Entity::find()
        .filter(one_time_token::Column::Purpose.eq("password_reset"))
        .count(app.state().db().read())
        .await
        .unwrap();
    assert_eq!(stored, 1);
    app.run_jobs().await;
    let jobs = job::Entity::find().all(app.state().db().read()).await.unwrap();
    let mail: Vec<_> = jobs.iter().filter(|job| job.name == "email.send").collect();
    assert_eq!(mail.len(), 1, "{jobs:?}");
    assert_eq!((mail[0].state.as_str(), mail[0].attempts, mail[0].queue.as_str()), ("pending", 1, "email"));
    let error = mail[0].last_error.as_deref().unwrap_or_default();
    assert!(error.contains("could not be written"), "a disk error is retried: {error}");
}

#[tokio::test]
async fn a_verification_link_marks_the_address_verified() {
    let app = TestApp::new().await;
    let jane = app.user("jane@example.com").await;
    app.join(jane, app.org().await.id, "sales").await;
    let client = Client::logged_in(&app, "jane@example.com").await;
    assert!(client.get(&app, "/api/v1/me").await.json()["user"]["email_verified_at"].is_null());
    assert_eq!(Client::anonymous().post(&app, "/api/v1/me/verify-email", json!({})).await.status, 401);
    client
        .clone()
        .without_csrf()
        .post(&app, "/api/v1/me/verify-email", json!({}))
        .await
        .assert_problem(403, "csrf_failed");
    assert!(app.emails().await.is_empty());

    let requested = client.post(&app, "/api/v1/me/verify-email", json!({})).await;
    assert_eq!(requested.status, 202, "{}", requested.text());
    let message = app.only_email_to("jane@example.com").await;
    let token = link_token(&message);
    assert!(message.contains(&format!("/admin/verify-email?token={token}")), "{message}");
    // A reset link does not verify, nor the other way round.
    Client::anonymous()
        .post(
            &app,
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": NEW_PASSWORD}),
        )
        .await
        .assert_problem(400, "invalid_link");

    let verified =
        Client::anonymous().post(&app, "/api/v1/auth/verify-email/confirm", json!({"token": token})).await;
    assert_eq!(verified.status, 204, "{}", verified.text());
    let me = client.get(&app, "/api/v1/me").await.json();
    assert!(me["user"]["email_verified_at"].is_string(), "{me}");
    Client::anonymous()
        .post(&app, "/api/v1/auth/verify-email/confirm", json!({"token": token}))
        .await
        .assert_problem(400, "invalid_link");
    client.post(&app, "/api/v1/me/verify-email", json!({})).await.assert_problem(409, "already_verified");
    assert_eq!(app.emails().await.len(), 1);

    let events = app.audit(None, "user.email_verified").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].entity_id, jane.to_string());
}

#[tokio::test]
async fn an_api_token_can_ask_for_a_verification_link() {
    let app = TestApp::new().await;
    let jane = app.user("jane@example.com").await;
    app.join(jane, app.org().await.id, "sales").await;
    let client = Client::logged_in(&app, "jane@example.com").await;
    let created =
        client.post(&app, "/api/v1/tokens", json!({"name": "cli", "scopes": ["members.view"]})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let secret = created.json()["token"].as_str().unwrap().to_owned();
    let requested = Client::bearer(&secret).post(&app, "/api/v1/me/verify-email", json!({})).await;
    assert_eq!(requested.status, 202, "{}", requested.text());
    let events = app.audit(None, "user.email_verification_request").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_type, "token");
    let mails = app.emails().await;
    assert_eq!(mails.len(), 2, "the token's security notice and the link: {mails:?}");
    assert_eq!(
        mails.iter().filter(|mail| mail.contains("/admin/verify-email?token=")).count(),
        1,
        "{mails:?}"
    );
}

/// Whoever had the old password may have made tokens with it: a reset revokes them, unless
/// `auth.revoke_tokens_on_password_reset` is off.
#[tokio::test]
async fn a_reset_revokes_the_users_tokens_unless_configured_otherwise() {
    for (revoke, expected) in [("true", 401), ("false", 200)] {
        let app = TestApp::with_settings(&[("BASEOPS_AUTH__REVOKE_TOKENS_ON_PASSWORD_RESET", revoke)]).await;
        let org = app.org().await.id;
        let token = app.member_with_email(org, "jane@example.com", "sales").await;
        assert_eq!(token.get(&app, "/api/v1/me").await.status, 200);

        ask_for_a_reset_link(&app, "jane@example.com").await;
        let link = link_token(&app.only_email_to("jane@example.com").await);
        let body = json!({"token": link, "new_password": NEW_PASSWORD});
        let reset = Client::anonymous().post(&app, "/api/v1/auth/password-reset/confirm", body).await;
        assert_eq!(reset.status, 204, "{}", reset.text());
        assert_eq!(
            token.get(&app, "/api/v1/me").await.status,
            expected,
            "revoke_tokens_on_password_reset = {revoke}"
        );
    }
}
