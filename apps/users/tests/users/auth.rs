//! Authentication through the HTTP API: sessions and CSRF, lock-out, tokens, organizations.

use std::time::Duration;

use baseops_test_support::{Client, PASSWORD, TestApp};
use serde_json::json;

#[tokio::test]
async fn login_opens_a_session_and_me_shows_the_user_and_their_permissions() {
    let app = TestApp::new().await;
    let acme = app.org().await;

    let (client, response) = Client::login(&app, "  Owner@Acme.test ", PASSWORD).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let cookie = response.header("set-cookie").unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "the test environment serves plain HTTP");
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    assert_eq!(body["user"]["email"], "owner@acme.test");
    assert!(body["user"].get("password_hash").is_none());

    let me = client.get(&app, "/api/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.text());
    let me = me.json();
    assert_eq!(me["user"]["id"], acme.owner.user_id.to_string());
    assert_eq!(me["active_organization_id"], acme.id.to_string());
    assert_eq!(me["authenticated_by"], "user");
    assert_eq!(me["permissions"]["roles.manage"], "all", "the creator owns the organization: {me}");
    assert_eq!(me["permissions"]["organizations.delete"], "all");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_accounts_get_the_same_answer() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let (_, wrong_password) = Client::login(&app, "jane@example.com", "not-her-password-1").await;
    let (_, unknown) = Client::login(&app, "nobody@example.com", PASSWORD).await;
    let first = wrong_password.assert_problem(401, "invalid_credentials");
    let second = unknown.assert_problem(401, "invalid_credentials");
    assert_eq!(first["detail"], second["detail"]);
    assert!(wrong_password.header("set-cookie").is_none());
    assert_eq!(Client::anonymous().get(&app, "/api/v1/me").await.status, 401);
    let garbage = Client { cookie: Some("baseops_session=forged".into()), ..Client::default() };
    garbage.get(&app, "/api/v1/me").await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn unsafe_cookie_requests_need_the_csrf_token_and_change_nothing_without_it() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let client = Client::logged_in(&app, "jane@example.com").await;

    let refused =
        client.clone().without_csrf().post(&app, "/api/v1/organizations", json!({"name": "Acme"})).await;
    refused.assert_problem(403, "csrf_failed");
    let forged = Client { csrf: Some("x".repeat(43)), ..client.clone() };
    forged
        .post(&app, "/api/v1/organizations", json!({"name": "Acme"}))
        .await
        .assert_problem(403, "csrf_failed");
    let listed = client.get(&app, "/api/v1/organizations").await.json();
    assert_eq!(listed, json!([]), "a refused request created something");

    let created = client.post(&app, "/api/v1/organizations", json!({"name": "Acme Trading, Ltd."})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["slug"], "acme-trading-ltd");
    assert_eq!(client.get(&app, "/api/v1/organizations").await.json().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn logout_ends_the_session_and_logout_all_ends_every_one() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let laptop = Client::logged_in(&app, "jane@example.com").await;
    let phone = Client::logged_in(&app, "jane@example.com").await;
    assert_ne!(laptop.cookie, phone.cookie, "each login gets its own session");

    let out = laptop.post(&app, "/api/v1/auth/logout", json!({})).await;
    assert_eq!(out.status, 204, "{}", out.text());
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(laptop.get(&app, "/api/v1/me").await.status, 401);
    assert_eq!(phone.get(&app, "/api/v1/me").await.status, 200);

    let tablet = Client::logged_in(&app, "jane@example.com").await;
    assert_eq!(tablet.post(&app, "/api/v1/auth/logout-all", json!({})).await.status, 204);
    assert_eq!(phone.get(&app, "/api/v1/me").await.status, 401);
    assert_eq!(tablet.get(&app, "/api/v1/me").await.status, 401);
}

#[tokio::test]
async fn logging_in_again_rotates_the_session() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let first = Client::logged_in(&app, "jane@example.com").await;
    let relogin = first
        .post(&app, "/api/v1/auth/login", json!({"email": "jane@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(relogin.status, 200);
    assert_eq!(first.get(&app, "/api/v1/me").await.status, 401, "the old session id still works");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_out_and_the_lock_is_released() {
    let app = TestApp::with_settings(&[("BASEOPS_AUTH__LOCKOUT_SECS", "1")]).await;
    app.user("jane@example.com").await;
    for _ in 0..5 {
        Client::login(&app, "jane@example.com", "wrong-password-123")
            .await
            .1
            .assert_problem(401, "invalid_credentials");
    }
    let (_, locked) = Client::login(&app, "jane@example.com", PASSWORD).await;
    locked.assert_problem(429, "rate_limited");
    assert!(locked.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // Unknown accounts lock the same way: the lock-out reveals nothing.
    for _ in 0..5 {
        Client::login(&app, "ghost@example.com", "wrong-password-123").await;
    }
    Client::login(&app, "ghost@example.com", "wrong-password-123")
        .await
        .1
        .assert_problem(429, "rate_limited");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, released) = Client::login(&app, "jane@example.com", PASSWORD).await;
    assert_eq!(released.status, 200, "{}", released.text());
}

#[tokio::test]
async fn tokens_are_limited_to_their_scopes_and_stop_when_revoked_or_expired() {
    let app = TestApp::new().await;
    let owner = app.signed_in_owner(app.org().await).await;

    let refused =
        owner.post(&app, "/api/v1/tokens", json!({"name": "ci", "scopes": ["roles.view", "no.such"]})).await;
    let problem = refused.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["scopes[1]"].is_array(), "{problem}");

    let created = owner.post(&app, "/api/v1/tokens", json!({"name": "ci", "scopes": ["roles.view"]})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("bo_"));

    let listed = owner.get(&app, "/api/v1/tokens").await;
    assert!(!listed.text().contains(&secret), "the secret is shown again");

    let me = Client::bearer(&secret).get(&app, "/api/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.text());
    let me = me.json();
    assert_eq!(me["authenticated_by"], "token");
    assert_eq!(me["permissions"], json!({"roles.view": "all"}), "the token is wider than its scopes");
    // A token cannot mint tokens or found organizations.
    assert_eq!(
        Client::bearer(&secret)
            .post(&app, "/api/v1/tokens", json!({"name": "x", "scopes": ["roles.view"]}))
            .await
            .status,
        403
    );

    let id = created["id"].as_str().unwrap();
    let revoked = owner.delete(&app, &format!("/api/v1/tokens/{id}")).await;
    assert_eq!(revoked.status, 204, "{}", revoked.text());
    Client::bearer(&secret).get(&app, "/api/v1/me").await.assert_problem(401, "unauthenticated");
    Client::bearer("bo_forged").get(&app, "/api/v1/me").await.assert_problem(401, "unauthenticated");

    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let short = owner
        .post(&app, "/api/v1/tokens", json!({"name": "short", "scopes": ["roles.view"], "expires_at": soon}))
        .await;
    let short_secret = short.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(Client::bearer(&short_secret).get(&app, "/api/v1/me").await.status, 200);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(Client::bearer(&short_secret).get(&app, "/api/v1/me").await.status, 401);
}

#[tokio::test]
async fn another_organization_is_not_found_rather_than_forbidden() {
    let app = TestApp::new().await;
    let acme = app.organization("Acme").await;
    let globex = app.organization("Globex").await;
    let alice = Client::logged_in(&app, &acme.owner.email).await;
    assert_eq!(alice.clone().in_org(acme.id).get(&app, "/api/v1/me").await.status, 200);
    alice.clone().in_org(globex.id).get(&app, "/api/v1/me").await.assert_problem(404, "not_found");
    alice.clone().in_org(&globex.slug).get(&app, "/api/v1/me").await.assert_problem(404, "not_found");
    alice.clone().in_org("no-such-org").get(&app, "/api/v1/me").await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let here = Client::logged_in(&app, "jane@example.com").await;
    let elsewhere = Client::logged_in(&app, "jane@example.com").await;

    let wrong = here
        .post(
            &app,
            "/api/v1/me/password",
            json!({"current_password": "nope-nope-123", "new_password": "violet-harbor-77-lamp"}),
        )
        .await;
    wrong.assert_problem(403, "wrong_password");
    let weak = here
        .post(
            &app,
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "password123"}),
        )
        .await;
    weak.assert_problem(422, "validation_failed");
    assert_eq!(elsewhere.get(&app, "/api/v1/me").await.status, 200, "a refused change ended sessions");

    let changed = here
        .post(
            &app,
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "violet-harbor-77-lamp"}),
        )
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text());
    assert_eq!(here.get(&app, "/api/v1/me").await.status, 200);
    assert_eq!(elsewhere.get(&app, "/api/v1/me").await.status, 401);
    Client::login(&app, "jane@example.com", PASSWORD).await.1.assert_problem(401, "invalid_credentials");
    assert_eq!(Client::login(&app, "jane@example.com", "violet-harbor-77-lamp").await.1.status, 200);
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    app.user("jane@example.com").await;
    let client = Client::logged_in(&app, "jane@example.com").await;
    for body in [
        json!({"name": "x".repeat(101)}),
        json!({"name": "   "}),
        json!({"name": "Acme", "slug": "Not A Slug"}),
        json!({"name": "Acme", "currency": "euro"}),
        json!({"name": "Acme", "currency": "XYZ"}),
        json!({"name": "Acme", "time_zone": "../../etc/passwd"}),
        json!({"name": "Acme", "owner_id": "someone-else"}),
        json!({"name": 42}),
    ] {
        let response = client.post(&app, "/api/v1/organizations", body.clone()).await;
        assert_eq!(response.status, 422, "{body}: {}", response.text());
    }
    assert_eq!(client.get(&app, "/api/v1/organizations").await.json(), json!([]));

    let hostile = client
        .post(&app, "/api/v1/organizations", json!({"name": "Robert'); DROP TABLE users;-- <b>é</b>"}))
        .await;
    assert_eq!(hostile.status, 201, "{}", hostile.text());
    assert_eq!(hostile.json()["name"], "Robert'); DROP TABLE users;-- <b>é</b>");
    assert_eq!(client.get(&app, "/api/v1/me").await.status, 200, "the users table is gone");
    let taken = client
        .post(&app, "/api/v1/organizations", json!({"name": "Other", "slug": hostile.json()["slug"]}))
        .await;
    taken.assert_problem(409, "slug_taken");
}

#[tokio::test]
async fn every_change_is_audited_with_its_actor_and_request() {
    let app = TestApp::new().await;
    let user_id = app.user("jane@example.com").await;
    let client = Client::logged_in(&app, "jane@example.com").await;
    let created = client.post(&app, "/api/v1/organizations", json!({"name": "Acme"})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let request_id = created.header("x-request-id").unwrap().to_owned();
    let org_id: uuid::Uuid = created.json()["id"].as_str().unwrap().parse().unwrap();

    for expected in ["organization.create", "membership.create", "role.create", "membership.role_given"] {
        assert!(!app.audit(Some(org_id), expected).await.is_empty(), "{expected} missing");
    }
    let created_event = &app.audit(Some(org_id), "organization.create").await[0];
    assert_eq!(created_event.actor_type, "user");
    assert_eq!(created_event.actor_id.as_deref(), Some(user_id.to_string().as_str()));
    assert_eq!(created_event.request_id, request_id);
    assert_eq!(created_event.changes.get("name").unwrap().after, Some(json!("Acme")));
    assert_eq!(created_event.ip.as_deref(), Some("127.0.0.1"));
    assert!(baseops_audit::verify(app.state().db().read(), None).await.unwrap().is_ok());
}
