//! Who may do what with roles: `roles.view` to see them (owner, admin, manager, viewer),
//! `roles.manage` to create, edit, delete and give them (owner, admin) — whatever role
//! carries the grant, and a token only within its scopes.

use baseops_test_support::{Client, TestApp};
use http::Method;
use serde_json::{Value, json};

use crate::support::{create_role, members, role_id, roles, set_member_roles};
use baseops_test_support::DEFAULT_ROLES;

const MAY_VIEW: &[&str] = &["owner", "admin", "manager", "viewer"];
const MAY_MANAGE: &[&str] = &["owner", "admin"];

/// What is asked, how, with which body, and the roles that may do it.
type Case = (&'static str, Method, String, Option<Value>, &'static [&'static str]);

#[tokio::test]
async fn each_roles_endpoint_answers_each_default_role_as_documented() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
    let victim = app.signed_in_member(team.id, "victim@acme.test", "viewer").await;
    let victim = app.membership_id(owner, &victim.email).await;
    let viewer_role = role_id(&app, owner, "viewer").await;
    for (role, client) in &team.members {
        // Something of its own for each role to act on.
        let target = create_role(&app, owner, json!({"name": format!("Target of {role}")})).await;
        let target = format!("/api/v1/roles/{}", target["id"].as_str().unwrap());
        let cases: [Case; 6] = [
            ("list permissions", Method::GET, "/api/v1/permissions".into(), None, &DEFAULT_ROLES),
            ("list roles", Method::GET, "/api/v1/roles".into(), None, MAY_VIEW),
            (
                "create a role",
                Method::POST,
                "/api/v1/roles".into(),
                Some(json!({"name": format!("By {role}")})),
                MAY_MANAGE,
            ),
            (
                "edit a role",
                Method::PATCH,
                target.clone(),
                Some(json!({"description": format!("Edited by {role}")})),
                MAY_MANAGE,
            ),
            (
                "give a member roles",
                Method::PUT,
                format!("/api/v1/members/{victim}/roles"),
                Some(json!({"roles": [viewer_role]})),
                MAY_MANAGE,
            ),
            ("delete a role", Method::DELETE, target, None, MAY_MANAGE),
        ];
        for (what, method, path, body, allowed) in cases {
            let response = client.send(&app, method, &path, body, &[]).await;
            if allowed.contains(role) {
                assert!(
                    response.status.is_success(),
                    "{role} may {what}: {} {}",
                    response.status,
                    response.text()
                );
            } else {
                response.assert_problem(403, "forbidden");
            }
        }
    }
    // What the refused roles tried left no trace.
    let listed = roles(&app, owner).await;
    for (role, _) in &team.members {
        let created = listed.iter().any(|r| r["name"] == format!("By {role}"));
        let target = listed.iter().find(|r| r["name"] == format!("Target of {role}"));
        if MAY_MANAGE.contains(role) {
            assert!(created && target.is_none(), "{role}: {listed:?}");
        } else {
            assert!(!created, "{role} created a role");
            assert_eq!(target.unwrap()["description"], "", "{role} edited a role");
        }
    }
}

#[tokio::test]
async fn a_custom_role_with_the_grants_may_what_the_default_roles_may() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
    let support = team.member("support");
    let support_membership = app.membership_id(owner, &support.email).await;
    support.get(&app, "/api/v1/roles").await.assert_problem(403, "forbidden");

    let reader =
        create_role(&app, owner, json!({"name": "Role reader", "grants": {"roles.view": "all"}})).await;
    let reader = reader["id"].as_str().unwrap().to_owned();
    assert_eq!(set_member_roles(&app, owner, &support_membership, &[&reader]).await.status, 204);
    assert_eq!(support.get(&app, "/api/v1/roles").await.status, 200);
    support.post(&app, "/api/v1/roles", json!({"name": "Mine"})).await.assert_problem(403, "forbidden");

    let keeper =
        create_role(&app, owner, json!({"name": "Role keeper", "grants": {"roles.manage": "all"}})).await;
    let keeper = keeper["id"].as_str().unwrap().to_owned();
    assert_eq!(set_member_roles(&app, owner, &support_membership, &[&reader, &keeper]).await.status, 204);
    let mine = support.post(&app, "/api/v1/roles", json!({"name": "Mine"})).await;
    assert_eq!(mine.status, 201, "{}", mine.text());
    // Managing roles includes giving them, even to oneself: roles.manage is an admin's power.
    let sales = app.membership_id(owner, "sales@acme.test").await;
    assert_eq!(set_member_roles(&app, support, &sales, &[&reader]).await.status, 204);
    assert_eq!(team.member("sales").get(&app, "/api/v1/roles").await.status, 200);
}

/// A bearer token `client` creates with these scopes.
async fn token(app: &TestApp, client: &Client, scopes: &[&str]) -> Client {
    let created = client.post(app, "/api/v1/tokens", json!({"name": "ci", "scopes": scopes})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    Client::bearer(created.json()["token"].as_str().unwrap())
}

#[tokio::test]
async fn a_token_reaches_the_roles_only_within_its_scopes() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
    let reader = token(&app, owner, &["roles.view"]).await;
    assert_eq!(reader.get(&app, "/api/v1/roles").await.status, 200);
    reader.post(&app, "/api/v1/roles", json!({"name": "By token"})).await.assert_problem(403, "forbidden");
    let manager = token(&app, owner, &["roles.manage", "members.view"]).await;
    manager.get(&app, "/api/v1/roles").await.assert_problem(403, "forbidden");
    let created = manager.post(&app, "/api/v1/roles", json!({"name": "By token"})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(members(&app, &manager).await.as_array().unwrap().len(), DEFAULT_ROLES.len());

    // A member cannot mint a token wider than what they hold.
    let viewer = team.member("viewer");
    let refused = viewer.post(&app, "/api/v1/tokens", json!({"name": "x", "scopes": ["roles.manage"]})).await;
    refused.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn strangers_reach_no_roles_endpoint() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let some_role = format!("/api/v1/roles/{}", role_id(&app, owner, "viewer").await);
    let some_member = format!("/api/v1/members/{}/roles", app.membership_id(owner, &owner.email).await);
    for client in [Client::anonymous(), Client::bearer("bo_forged")] {
        for (method, path, body) in [
            (Method::GET, "/api/v1/roles", None),
            (Method::POST, "/api/v1/roles", Some(json!({"name": "X"}))),
            (Method::PATCH, some_role.as_str(), Some(json!({"name": "X"}))),
            (Method::DELETE, some_role.as_str(), None),
            (Method::PUT, some_member.as_str(), Some(json!({"roles": []}))),
        ] {
            client.send(&app, method, path, body, &[]).await.assert_problem(401, "unauthenticated");
        }
    }
    // Someone signed in but in no organization is asked to choose one.
    app.user("loner@example.com").await;
    let loner = Client::logged_in(&app, "loner@example.com").await;
    loner.get(&app, "/api/v1/roles").await.assert_problem(400, "organization_required");
    loner
        .post(&app, "/api/v1/roles", json!({"name": "X"}))
        .await
        .assert_problem(400, "organization_required");
    assert_eq!(roles(&app, owner).await.len(), DEFAULT_ROLES.len());
}
