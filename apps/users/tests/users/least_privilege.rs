//! Least privilege (docs/security.md, "Tokens and roles"): what changes an account or its
//! credentials is open to a session only, never to an API token whatever its scopes; and
//! nobody hands out more than they hold — only an owner gives or takes away the owner role.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

use crate::support::member_id;

/// A token of the owner's limited to `leads.view`, and the owner's session that made it.
async fn narrow_token(app: &TestApp) -> (Client, Client) {
    let team = app.team().await;
    let owner = team.owner().clone();
    let created =
        owner.post(app, "/api/v1/tokens", json!({"name": "reports", "scopes": ["leads.view"]})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let mut token = Client::bearer(created.json()["token"].as_str().unwrap());
    token.organization_id = owner.organization_id;
    (owner, token)
}

#[tokio::test]
async fn a_narrow_token_cannot_touch_its_owners_account_or_credentials() {
    let app = TestApp::new().await;
    let (owner, token) = narrow_token(&app).await;
    assert_eq!(token.get(&app, "/api/v1/leads").await.status, 200, "the scope it has works");
    let members = owner.get(&app, "/api/v1/members").await.json();
    let own_membership = member_id(&members, &owner.email);
    let tokens = owner.get(&app, "/api/v1/tokens").await.json();
    let token_id = tokens[0]["id"].as_str().unwrap().to_owned();

    let refused = [
        token.patch(&app, "/api/v1/me", json!({"display_name": "Mallory"}), None).await,
        token.get(&app, "/api/v1/tokens").await,
        token.delete(&app, &format!("/api/v1/tokens/{token_id}")).await,
        token.post(&app, "/api/v1/tokens", json!({"name": "more", "scopes": ["leads.view"]})).await,
        token.delete(&app, &format!("/api/v1/members/{own_membership}")).await,
        token.post(&app, "/api/v1/me/password", json!({"current_password": "x", "new_password": "y"})).await,
        token.get(&app, "/api/v1/me/sessions").await,
        token.post(&app, "/api/v1/me/two-factor/setup", json!({})).await,
    ];
    for answer in &refused {
        answer.assert_problem(403, "session_required");
    }
    // Nothing changed: the owner is still a member with their name, the token still listed.
    let me = owner.get(&app, "/api/v1/me").await.json();
    assert_ne!(me["user"]["display_name"], "Mallory");
    assert_eq!(owner.get(&app, "/api/v1/members").await.json(), members);
    assert_eq!(
        owner.get(&app, "/api/v1/tokens").await.json().as_array().unwrap().len(),
        tokens.as_array().unwrap().len()
    );
    // Who am I stays open: a script may ask what it is.
    assert_eq!(token.get(&app, "/api/v1/me").await.status, 200);
}

#[tokio::test]
async fn an_admin_cannot_make_themself_owner_nor_demote_the_owner() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let (owner, admin) = (team.owner(), team.member("admin"));
    let roles = owner.get(&app, "/api/v1/roles").await.json();
    let role_id = |key: &str| {
        roles.as_array().unwrap().iter().find(|role| role["key"] == key).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let members = owner.get(&app, "/api/v1/members").await.json();
    let (admin_member, owner_member) = (member_id(&members, &admin.email), member_id(&members, &owner.email));

    admin
        .put(&app, &format!("/api/v1/members/{admin_member}/roles"), json!({"roles": [role_id("owner")]}))
        .await
        .assert_problem(403, "role_not_allowed");
    admin
        .put(&app, &format!("/api/v1/members/{owner_member}/roles"), json!({"roles": [role_id("viewer")]}))
        .await
        .assert_problem(403, "role_not_allowed");
    // Nor write a role that holds what an admin lacks, nor give one.
    let wider = admin
        .post(&app, "/api/v1/roles", json!({"name": "Deleter", "grants": {"organizations.delete": "all"}}))
        .await;
    let problem = wider.assert_problem(403, "role_not_allowed");
    assert!(problem["detail"].as_str().unwrap().contains("organizations.delete"), "{problem}");
    admin
        .post(&app, "/api/v1/invitations", json!({"email": "new-owner@example.com", "role": "owner"}))
        .await
        .assert_problem(403, "role_not_allowed");
    assert_eq!(
        owner.get(&app, "/api/v1/members").await.json(),
        members,
        "a refused change changed something"
    );

    // What the admin holds, they may give; the owner may give the owner role.
    let given = admin
        .put(
            &app,
            &format!("/api/v1/members/{}/roles", member_id(&members, &team.member("viewer").email)),
            json!({"roles": [role_id("sales")]}),
        )
        .await;
    assert_eq!(given.status, 204, "{}", given.text());
    let promoted = owner
        .put(&app, &format!("/api/v1/members/{admin_member}/roles"), json!({"roles": [role_id("owner")]}))
        .await;
    assert_eq!(promoted.status, 204, "{}", promoted.text());
}
