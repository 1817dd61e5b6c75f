//! Signing in and out of the admin console: the same rules as the API (throttle, second
//! factor, CSRF), with pages for people and redirects that never leave the console.

use baseops_test_support::{Client, PASSWORD, TestApp, TestResponse};
use baseops_users::two_factor::{code_at, from_base32};
use serde_json::json;

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// The client holding the session a successful console sign-in set.
fn signed_in(response: &TestResponse, email: &str) -> Client {
    assert_eq!(response.status, 303, "{}", response.text());
    let cookie = response.header("set-cookie").expect("a session cookie");
    Client {
        cookie: cookie.split(';').next().map(str::to_owned),
        email: email.to_owned(),
        ..Client::default()
    }
}

#[tokio::test]
async fn a_person_signs_in_sees_the_frame_and_signs_out() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;

    let anonymous = Client::anonymous();
    let wanted = anonymous.get(&app, "/admin/tasks?q=x").await;
    assert_eq!(wanted.status, 303);
    assert_eq!(wanted.header("location"), Some("/admin/login?next=%2Fadmin%2Ftasks%3Fq%3Dx"));
    let form = anonymous.get(&app, "/admin/login?next=%2Fadmin%2Ftasks").await;
    assert_eq!(form.status, 200);
    let policy = form.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe"), "{policy}");
    assert!(form.text().contains("id=\"login\"") && form.text().contains("value=\"&#x2f;admin&#x2f;tasks\""));

    let wrong =
        [("email", owner.email.as_str()), ("password", "not-the-password-1"), ("next", "/admin/tasks")];
    let refused = anonymous.post_form(&app, "/admin/login", &wrong).await;
    assert_eq!(refused.status, 401);
    assert!(refused.text().contains("Wrong e-mail address or password."), "{}", refused.text());
    assert!(refused.header("set-cookie").is_none());

    let right = [("email", owner.email.as_str()), ("password", PASSWORD), ("next", "/admin/tasks")];
    let response = anonymous.post_form(&app, "/admin/login", &right).await;
    assert_eq!(response.header("location"), Some("/admin/tasks"));
    let person = signed_in(&response, &owner.email);
    let home = person.get(&app, "/admin").await;
    assert_eq!(home.status, 200, "{}", home.text());
    let html = home.text();
    assert!(html.contains("<h1>Home</h1>") && html.contains("Leads") && html.contains("Tasks"), "{html}");
    assert_eq!(home.header("cache-control"), Some("no-store"));

    // Without the form's token, or from another site, signing out is refused and changes nothing.
    let csrf = home.csrf_token();
    person.post_form(&app, "/admin/logout", &[]).await;
    assert_eq!(person.get(&app, "/admin").await.status, 200);
    let forged = person
        .clone()
        .request(
            http::Method::POST,
            "/admin/logout",
            &[("origin", "https://evil.example"), ("host", "localhost")],
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!("csrf_token={csrf}")))
        .unwrap();
    assert_eq!(app.send(forged).await.status, 403);
    assert_eq!(person.get(&app, "/admin").await.status, 200);

    let out = person.post_form(&app, "/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.header("location"), Some("/admin/login"));
    assert_eq!(person.get(&app, "/admin").await.status, 303, "the session ended");
}

#[tokio::test]
async fn forms_without_their_token_are_refused_with_a_page() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let right = [("email", owner.email.as_str()), ("password", PASSWORD)];
    let person = signed_in(&Client::anonymous().post_form(&app, "/admin/login", &right).await, &owner.email);
    let refused = person.post_form(&app, "/admin/logout", &[("csrf_token", "wrong")]).await;
    assert_eq!(refused.status, 403);
    assert!(refused.header("content-type").unwrap().starts_with("text/html"));
    assert!(refused.text().contains("<h1>"), "{}", refused.text());
}

#[tokio::test]
async fn sign_in_sends_people_only_to_console_pages() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    for next in ["//evil.example/admin", "https://evil.example/", "/admin//evil.example", "/api/v1/me", ""] {
        let fields = [("email", owner.email.as_str()), ("password", PASSWORD), ("next", next)];
        let response = Client::anonymous().post_form(&app, "/admin/login", &fields).await;
        assert_eq!(response.header("location"), Some("/admin"), "next={next}");
    }
}

#[tokio::test]
async fn an_api_token_does_not_open_the_console() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let grant = json!({"email": owner.email, "password": PASSWORD, "organization_id": owner.organization_id,
        "name": "script", "scopes": ["leads.view"]});
    let created = Client::anonymous().post(&app, "/api/v1/auth/token", grant).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let script = Client::bearer(created.json()["token"].as_str().unwrap());
    let response = script.get(&app, "/admin/leads").await;
    assert_eq!(response.status, 303);
    assert!(response.header("location").unwrap().starts_with("/admin/login"));
}

#[tokio::test]
async fn the_second_factor_is_asked_for_and_checked() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let api = Client::logged_in(&app, &owner.email).await;
    let setup = api.post(&app, "/api/v1/me/two-factor/setup", json!({})).await;
    let secret = from_base32(setup.json()["secret"].as_str().unwrap()).unwrap();
    let code = code_at(&secret, now() - 30).unwrap();
    let enabled = api.post(&app, "/api/v1/me/two-factor/enable", json!({"code": code})).await;
    assert_eq!(enabled.status, 200, "{}", enabled.text());
    let recovery = enabled.json()["recovery_codes"][0].as_str().unwrap().to_owned();

    let password_only = [("email", owner.email.as_str()), ("password", PASSWORD)];
    let asked = Client::anonymous().post_form(&app, "/admin/login", &password_only).await;
    assert_eq!(asked.status, 401);
    assert!(asked.text().contains("Enter the code from your authenticator app"), "{}", asked.text());
    let wrong = [("email", owner.email.as_str()), ("password", PASSWORD), ("code", "000000")];
    let refused = Client::anonymous().post_form(&app, "/admin/login", &wrong).await;
    assert_eq!(refused.status, 401);
    assert!(refused.text().contains("That code is not right"), "{}", refused.text());
    let with_recovery =
        [("email", owner.email.as_str()), ("password", PASSWORD), ("code", recovery.as_str())];
    let response = Client::anonymous().post_form(&app, "/admin/login", &with_recovery).await;
    signed_in(&response, &owner.email);
}
