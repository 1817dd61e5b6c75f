//! Cached principals: a token's or a session's permissions are read once, and stop being
//! trusted the moment access changes — a role taken, a token revoked, a member deactivated.

use std::time::{Duration, Instant};

use baseops_test_support::{Client, TestApp};
use baseops_users::principal_cache::PrincipalCache;
use serde_json::json;

/// On PostgreSQL principals are cached only once the listener for other processes' changes
/// is connected; wait for it so these tests exercise the cached path on both engines.
async fn trusted_cache(app: &TestApp) -> PrincipalCache {
    let cache = PrincipalCache::of(app.state()).expect("the users app installs the cache");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cache.is_trusted(app.state()) {
        assert!(Instant::now() < deadline, "the access listener never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cache
}

#[tokio::test]
async fn a_role_taken_away_is_gone_at_the_next_request() {
    let app = TestApp::new().await;
    let cache = trusted_cache(&app).await;
    let owner = app.org().await.owner.clone();
    let sales = app.as_role("sales").await;
    let lead = json!({"first_name": "Ada", "last_name": "Lovelace"});
    assert_eq!(sales.get(&app, "/api/v1/leads").await.status, 200);
    assert_eq!(sales.post(&app, "/api/v1/leads", lead.clone()).await.status, 201);
    assert!(!cache.is_empty(), "the token's principal is cached");

    let roles = owner.get(&app, "/api/v1/roles").await.json();
    let viewer = roles.as_array().unwrap().iter().find(|role| role["key"] == "viewer").unwrap()["id"].clone();
    let id = app.membership_id(&owner, &sales.email).await;
    let changed = owner.put(&app, &format!("/api/v1/members/{id}/roles"), json!({"roles": [viewer]})).await;
    assert_eq!(changed.status, 204, "{}", changed.text());

    // The token keeps its scopes, but its owner no longer holds leads.create.
    sales.post(&app, "/api/v1/leads", lead).await.assert_problem(403, "forbidden");
    assert_eq!(sales.get(&app, "/api/v1/leads").await.status, 200, "viewers still read leads");
}

#[tokio::test]
async fn a_revoked_token_and_a_deactivated_member_fail_at_the_next_request() {
    let app = TestApp::new().await;
    trusted_cache(&app).await;
    let owner = app.org().await.owner.clone();
    let sales = app.as_role("sales").await;
    assert_eq!(sales.get(&app, "/api/v1/leads").await.status, 200);
    // Tokens are managed from a session, never by a token.
    let session = Client::logged_in(&app, &sales.email).await;
    let tokens = session.get(&app, "/api/v1/tokens").await.json();
    let token_id = tokens.as_array().unwrap()[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(session.delete(&app, &format!("/api/v1/tokens/{token_id}")).await.status, 204);
    sales.get(&app, "/api/v1/leads").await.assert_problem(401, "unauthenticated");

    let support = app.as_role("support").await;
    assert_eq!(support.get(&app, "/api/v1/leads").await.status, 200);
    let id = app.membership_id(&owner, &support.email).await;
    assert_eq!(owner.delete(&app, &format!("/api/v1/members/{id}")).await.status, 204);
    support.get(&app, "/api/v1/leads").await.assert_problem(403, "forbidden");

    let marketer = app.as_role("marketer").await;
    assert_eq!(marketer.get(&app, "/api/v1/leads").await.status, 200);
    app.superuser("root@example.test").await;
    let root = Client::logged_in(&app, "root@example.test").await;
    let path = format!("/api/v1/users/{}/deactivate", marketer.user_id);
    let deactivated = root.post(&app, &path, json!({})).await;
    assert!(deactivated.status.is_success(), "{}", deactivated.text());
    marketer.get(&app, "/api/v1/leads").await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn the_console_frame_and_the_organization_header_follow_renames_at_once() {
    let app = TestApp::new().await;
    trusted_cache(&app).await;
    let org = app.org().await.clone();
    let owner = Client::logged_in(&app, &org.owner.email).await;
    let page = owner.get(&app, "/admin").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let renamed = owner.patch(&app, "/api/v1/me", json!({"display_name": "Grace Renamed"}), None).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert!(owner.get(&app, "/admin").await.text().contains("Grace Renamed"), "the frame shows the new name");

    // A principal cached for the old slug must not survive the slug's change.
    let by_slug = owner.clone().in_org(&org.slug);
    assert_eq!(by_slug.get(&app, "/api/v1/leads").await.status, 200);
    let path = format!("/api/v1/organizations/{}", org.id);
    let changed = owner.patch(&app, &path, json!({"slug": "renamed-co", "name": "Renamed Co"}), None).await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    by_slug.get(&app, "/api/v1/leads").await.assert_problem(404, "not_found");
    assert!(owner.get(&app, "/admin").await.text().contains("Renamed Co"), "the switcher shows the new name");
}
