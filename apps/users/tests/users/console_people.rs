//! The console's people pages — your account, members, invitations — through forms as a
//! browser posts them: the API's services and permissions, field errors next to their fields,
//! secrets shown once and never cached, and forged or token-less forms refused.

use baseops_test_support::{Client, PASSWORD, TestApp};
use baseops_users::two_factor::{code_at, from_base32};
use serde_json::Value;

use super::support::member_id;

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// The text between `start` and the next `end` in a page.
fn between(html: &str, start: &str, end: &str) -> String {
    let from = html.find(start).unwrap_or_else(|| panic!("{start} in {html}")) + start.len();
    html[from..].split(end).next().unwrap().to_owned()
}

/// A person signed in, and the CSRF token of their account page.
async fn signed_in(app: &TestApp, email: &str) -> (Client, String) {
    let person = Client::logged_in(app, email).await;
    let page = person.get(app, "/admin/account").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let csrf = page.csrf_token();
    (person, csrf)
}

#[tokio::test]
async fn the_profile_shows_field_errors_and_the_password_changes() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let (person, csrf) = signed_in(&app, &owner.email).await;

    let bad = [
        ("csrf_token", csrf.as_str()),
        ("display_name", "Ada"),
        ("time_zone", "not a zone"),
        ("locale", "en"),
    ];
    let refused = person.post_form(&app, "/admin/account/profile", &bad).await;
    assert_eq!(refused.status, 422);
    let html = refused.text();
    assert!(html.contains("alert-error") && html.contains("id=\"profile-time_zone-error\""), "{html}");
    assert!(html.contains("must be an IANA time zone") && html.contains("value=\"Ada\""), "{html}");

    let stale = [
        ("csrf_token", csrf.as_str()),
        ("display_name", "Ada Stale"),
        ("time_zone", "UTC"),
        ("locale", "en"),
        ("version", "999"),
    ];
    let refused = person.post_form(&app, "/admin/account/profile", &stale).await;
    assert_eq!(refused.status, 412);
    assert!(refused.text().contains("alert-error") && refused.text().contains("value=\"Ada Stale\""));

    let good = [
        ("csrf_token", csrf.as_str()),
        ("display_name", "Ada Lovelace"),
        ("time_zone", "Europe/Paris"),
        ("locale", "fr-CA"),
    ];
    let saved = person.post_form(&app, "/admin/account/profile", &good).await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    assert_eq!(saved.header("location"), Some("/admin/account?done=profile"));
    let page = person.get(&app, "/admin/account?done=profile").await;
    assert!(
        page.text().contains("Your profile is saved.") && page.text().contains("value=\"Europe&#x2f;Paris\"")
    );
    let odd = person.get(&app, "/admin/account?done=%3Cscript%3E").await;
    assert!(!odd.text().contains("alert-success") && !odd.text().contains("<script>alert"));

    let wrong = [
        ("csrf_token", csrf.as_str()),
        ("current_password", "not-it-at-all-9"),
        ("new_password", "blue-kettle-41-marsh"),
    ];
    let refused = person.post_form(&app, "/admin/account/password", &wrong).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(refused.text().contains("alert-error"));
    let weak = [("csrf_token", csrf.as_str()), ("current_password", PASSWORD), ("new_password", "short")];
    let refused = person.post_form(&app, "/admin/account/password", &weak).await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("id=\"password-new_password-error\""), "{}", refused.text());
    let right = [
        ("csrf_token", csrf.as_str()),
        ("current_password", PASSWORD),
        ("new_password", "blue-kettle-41-marsh"),
    ];
    let changed = person.post_form(&app, "/admin/account/password", &right).await;
    assert_eq!(changed.header("location"), Some("/admin/account?done=password"), "{}", changed.text());
    let (_, login) = Client::login(&app, &owner.email, "blue-kettle-41-marsh").await;
    assert_eq!(login.status, 200);
}

#[tokio::test]
async fn two_factor_is_set_up_and_the_recovery_codes_are_shown_once() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let (person, csrf) = signed_in(&app, &owner.email).await;
    let token = [("csrf_token", csrf.as_str())];

    let setup = person.post_form(&app, "/admin/account/two-factor/setup", &token).await;
    assert_eq!(setup.status, 200, "{}", setup.text());
    assert_eq!(setup.header("cache-control"), Some("no-store"));
    let html = setup.text();
    assert!(
        html.contains("src=\"data:image&#x2f;svg+xml;base64,")
            || html.contains("src=\"data:image/svg+xml;base64,"),
        "{html}"
    );
    let secret = from_base32(&between(&html, "<code id=\"two-factor-secret\">", "</code>")).unwrap();

    let wrong = person
        .post_form(&app, "/admin/account/two-factor/enable", &[("csrf_token", &csrf), ("code", "000000")])
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.text().contains("id=\"two_factor-code-error\""), "{}", wrong.text());

    let code = code_at(&secret, now() - 30).unwrap();
    let enabled = person
        .post_form(&app, "/admin/account/two-factor/enable", &[("csrf_token", &csrf), ("code", &code)])
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.text());
    assert_eq!(enabled.header("cache-control"), Some("no-store"));
    let recovery = between(&enabled.text(), "<ol id=\"recovery-codes\">", "</ol>");
    let first = between(&recovery, "<code>", "</code>");
    assert_eq!(recovery.matches("<code>").count(), 10);

    let later = person.get(&app, "/admin/account").await.text();
    assert!(!later.contains("recovery-codes") && !later.contains(&first), "shown once");
    assert!(later.contains("Turn off two-factor login"));

    let no_code = [("csrf_token", csrf.as_str()), ("password", PASSWORD), ("code", "")];
    let refused = person.post_form(&app, "/admin/account/two-factor/disable", &no_code).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let off = [("csrf_token", csrf.as_str()), ("password", PASSWORD), ("code", first.as_str())];
    let disabled = person.post_form(&app, "/admin/account/two-factor/disable", &off).await;
    assert_eq!(
        disabled.header("location"),
        Some("/admin/account?done=two-factor-off"),
        "{}",
        disabled.text()
    );
    assert!(person.get(&app, "/admin/account").await.text().contains(">Set up<"));
}

#[tokio::test]
async fn another_session_is_ended_from_the_list() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let (person, csrf) = signed_in(&app, &owner.email).await;
    let laptop = Client::logged_in(&app, &owner.email).await;

    let html = person.get(&app, "/admin/account").await.text();
    assert_eq!(html.matches("This session").count(), 1, "{html}");
    let other = between(&html, "/admin/account/sessions/", "/revoke");
    assert_eq!(
        html.matches("/admin/account/sessions/").count() - 1,
        1,
        "only the other session has a button"
    );

    let missing = person
        .post_form(
            &app,
            &format!("/admin/account/sessions/{}/revoke", uuid::Uuid::now_v7()),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(missing.status, 404);
    let ended = person
        .post_form(&app, &format!("/admin/account/sessions/{other}/revoke"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(ended.header("location"), Some("/admin/account?done=session"));
    assert_eq!(laptop.get(&app, "/api/v1/me").await.status, 401);
    assert_eq!(person.get(&app, "/admin/account").await.status, 200);

    let everywhere =
        person.post_form(&app, "/admin/account/sessions/end-all", &[("csrf_token", &csrf)]).await;
    assert_eq!(everywhere.header("location"), Some("/admin/login"));
    assert_eq!(person.get(&app, "/admin/account").await.status, 303, "this session ended too");
}

#[tokio::test]
async fn a_token_is_shown_once_and_revoked() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let (person, csrf) = signed_in(&app, &owner.email).await;

    let unheld =
        [("csrf_token", csrf.as_str()), ("name", "ci"), ("scopes", "leads.view"), ("scopes", "no.such")];
    let refused = person.post_form(&app, "/admin/account/tokens", &unheld).await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("id=\"token-scopes-error\"") && refused.text().contains("value=\"ci\""));
    let past =
        [("csrf_token", csrf.as_str()), ("name", "ci"), ("scopes", "leads.view"), ("expires", "2001-01-01")];
    let refused = person.post_form(&app, "/admin/account/tokens", &past).await;
    assert!(refused.text().contains("id=\"token-expires-error\""), "{}", refused.text());

    let fields =
        [("csrf_token", csrf.as_str()), ("name", "ci"), ("scopes", "leads.view"), ("scopes", "tasks.view")];
    let created = person.post_form(&app, "/admin/account/tokens", &fields).await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let secret = between(&created.text(), "<code id=\"new-token\">", "</code>");
    assert!(secret.starts_with("bo_") && created.text().contains("not shown again"));
    let script = Client::bearer(&secret);
    assert_eq!(script.get(&app, "/api/v1/leads").await.status, 200);
    assert!(!person.get(&app, "/admin/account").await.text().contains(&secret), "shown once");

    let tokens = person.get(&app, "/api/v1/tokens").await.json();
    let id = tokens.as_array().unwrap().iter().find(|t| t["name"] == "ci").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked =
        person.post_form(&app, &format!("/admin/account/tokens/{id}/revoke"), &[("csrf_token", &csrf)]).await;
    assert_eq!(revoked.header("location"), Some("/admin/account?done=token-revoked"));
    assert_eq!(script.get(&app, "/api/v1/leads").await.status, 401);
}

fn role_id(roles: &Value, key: &str) -> String {
    roles.as_array().unwrap().iter().find(|r| r["key"] == key).unwrap()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn members_are_managed_only_by_those_who_may() {
    let app = TestApp::new().await;
    let acme = app.organization("Acme").await;
    app.member_with_email(acme.id, "sam@example.test", "sales").await;
    let (owner, csrf) = signed_in(&app, &acme.owner.email).await;

    let page = owner.get(&app, "/admin/members").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(
        html.contains("sam@example.test") && html.contains("Change roles") && html.contains("Sales"),
        "{html}"
    );
    let members = acme.owner.get(&app, "/api/v1/members").await.json();
    let sam = member_id(&members, "sam@example.test");
    let viewer = role_id(&acme.owner.get(&app, "/api/v1/roles").await.json(), "viewer");

    let fields = [("csrf_token", csrf.as_str()), ("roles", viewer.as_str())];
    let saved = owner.post_form(&app, &format!("/admin/members/{sam}/roles"), &fields).await;
    assert_eq!(saved.header("location"), Some("/admin/members?done=roles"), "{}", saved.text());
    let members = acme.owner.get(&app, "/api/v1/members").await.json();
    let row = members.as_array().unwrap().iter().find(|m| m["email"] == "sam@example.test").unwrap().clone();
    assert_eq!(row["role_ids"], serde_json::json!([viewer]));
    let read_before = (row["version"].as_i64().unwrap() - 1).to_string();
    let stale =
        [("csrf_token", csrf.as_str()), ("roles", viewer.as_str()), ("version", read_before.as_str())];
    let refused = owner.post_form(&app, &format!("/admin/members/{sam}/roles"), &stale).await;
    assert_eq!(refused.status, 412, "{}", refused.text());
    assert!(refused.text().contains("alert-error"));

    // Sales sees the members and their roles, but no form; a forged one is refused.
    let seller = app.member_with_email(acme.id, "sal@example.test", "sales").await;
    let (sales, sales_csrf) = signed_in(&app, &seller.email).await;
    let html = sales.get(&app, "/admin/members").await.text();
    assert!(
        html.contains("sam@example.test") && !html.contains("Change roles") && !html.contains("/remove"),
        "{html}"
    );
    let forged = [("csrf_token", sales_csrf.as_str()), ("roles", viewer.as_str())];
    assert_eq!(sales.post_form(&app, &format!("/admin/members/{sam}/roles"), &forged).await.status, 403);
    let token = [("csrf_token", sales_csrf.as_str())];
    assert_eq!(sales.post_form(&app, &format!("/admin/members/{sam}/remove"), &token).await.status, 403);
    assert_eq!(sales.post_form(&app, &format!("/admin/members/{sam}/deactivate"), &token).await.status, 403);
    assert_eq!(sales.get(&app, "/admin/invitations").await.status, 403);

    // Another organization's member is not found from here.
    let beta = app.organization("Beta").await;
    let theirs = member_id(&beta.owner.get(&app, "/api/v1/members").await.json(), &beta.owner.email);
    let fields = [("csrf_token", csrf.as_str()), ("roles", viewer.as_str())];
    assert_eq!(owner.post_form(&app, &format!("/admin/members/{theirs}/roles"), &fields).await.status, 404);
    assert_eq!(
        owner.post_form(&app, &format!("/admin/members/{theirs}/remove"), &fields[..1]).await.status,
        404
    );

    let removed =
        owner.post_form(&app, &format!("/admin/members/{sam}/remove"), &[("csrf_token", &csrf)]).await;
    assert_eq!(removed.header("location"), Some("/admin/members?done=removed"));
    assert!(!owner.get(&app, "/admin/members").await.text().contains("sam@example.test"));
}

#[tokio::test]
async fn people_are_invited_and_invitations_revoked() {
    let app = TestApp::new().await;
    let acme = app.organization("Acme").await;
    let (owner, csrf) = signed_in(&app, &acme.owner.email).await;
    assert_eq!(owner.get(&app, "/admin/invitations").await.status, 200);

    let bad = [("csrf_token", csrf.as_str()), ("email", "not an address"), ("role", "sales")];
    let refused = owner.post_form(&app, "/admin/invitations", &bad).await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("id=\"invite-email-error\""), "{}", refused.text());

    let good = [("csrf_token", csrf.as_str()), ("email", "newcomer@example.test"), ("role", "sales")];
    let invited = owner.post_form(&app, "/admin/invitations", &good).await;
    assert_eq!(invited.header("location"), Some("/admin/invitations?done=invited"), "{}", invited.text());
    let html = owner.get(&app, "/admin/invitations?done=invited").await.text();
    assert!(html.contains("newcomer@example.test") && html.contains("The invitation is on its way."));
    let again = owner.post_form(&app, "/admin/invitations", &good).await;
    assert_eq!(again.status, 409);

    let beta = app.organization("Beta").await;
    let beta_invite = serde_json::json!({"email": "other@example.test", "role": "sales"});
    let theirs = beta.owner.post(&app, "/api/v1/invitations", beta_invite).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = [("csrf_token", csrf.as_str())];
    assert_eq!(
        owner.post_form(&app, &format!("/admin/invitations/{theirs}/revoke"), &token).await.status,
        404
    );

    let id = between(&html, "/admin/invitations/", "/revoke");
    let revoked = owner.post_form(&app, &format!("/admin/invitations/{id}/revoke"), &token).await;
    assert_eq!(revoked.header("location"), Some("/admin/invitations?done=revoked"));
    assert!(!owner.get(&app, "/admin/invitations").await.text().contains("newcomer@example.test"));
}

#[tokio::test]
async fn every_people_form_needs_its_token() {
    let app = TestApp::new().await;
    let acme = app.organization("Acme").await;
    let (owner, _) = signed_in(&app, &acme.owner.email).await;
    let id = uuid::Uuid::now_v7();
    let paths = [
        "/admin/account/profile".to_owned(),
        "/admin/account/password".to_owned(),
        "/admin/account/two-factor/setup".to_owned(),
        "/admin/account/two-factor/enable".to_owned(),
        "/admin/account/two-factor/disable".to_owned(),
        format!("/admin/account/sessions/{id}/revoke"),
        "/admin/account/sessions/end-all".to_owned(),
        "/admin/account/tokens".to_owned(),
        format!("/admin/account/tokens/{id}/revoke"),
        format!("/admin/members/{id}/roles"),
        format!("/admin/members/{id}/remove"),
        format!("/admin/members/{id}/deactivate"),
        "/admin/invitations".to_owned(),
        format!("/admin/invitations/{id}/revoke"),
    ];
    for path in &paths {
        let refused = owner.post_form(&app, path, &[("name", "x")]).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.text());
    }
    assert_eq!(owner.get(&app, "/admin/account").await.status, 200, "nothing ended the session");
}

#[tokio::test]
async fn the_navigation_lists_the_people_pages_by_permission() {
    let app = TestApp::new().await;
    let acme = app.organization("Acme").await;
    let (owner, _) = signed_in(&app, &acme.owner.email).await;
    let html = owner.get(&app, "/admin").await.text();
    for url in ["/admin/account", "/admin/members", "/admin/invitations"] {
        assert!(
            html.contains(&format!("href=\"{}\"", url.replace('/', "&#x2f;"))) || html.contains(url),
            "{url}"
        );
    }
    let viewer = app.member(acme.id, "viewer").await;
    let (person, _) = signed_in(&app, &viewer.email).await;
    let html = person.get(&app, "/admin").await.text();
    assert!(!html.contains(">Invitations<"), "{html}");
    assert!(html.contains(">Your account<"), "the user menu links the account page");
}
