//! Members and the organization through the API, per default role: listing and removing
//! members, reading the audit trail, the tenant boundary, editing and deleting the
//! organization, and deactivation. Roles and grants themselves are the roles app's tests.

use baseops_test_support::{Client, TestApp};
use http::Method;
use serde_json::json;

use crate::support::member_id;
use baseops_test_support::DEFAULT_ROLES;

/// What is asked, how, and the roles that may do it.
type Case = (&'static str, Method, &'static str, &'static [&'static str]);

#[tokio::test]
async fn each_members_endpoint_answers_each_default_role_as_documented() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let cases: [Case; 3] = [
        ("list members", Method::GET, "/api/v1/members", &DEFAULT_ROLES),
        ("read the audit trail", Method::GET, "/api/v1/audit/events", &["owner", "admin", "manager"]),
        ("remove a member", Method::DELETE, "/api/v1/members/{member}", &["owner", "admin"]),
    ];
    for (what, method, path, allowed) in cases {
        for (role, client) in &team.members {
            let mut path = path.to_owned();
            if path.contains("{member}") {
                // A fresh member to remove, so each role's attempt has something to act on.
                let email = format!("victim-{role}@acme.test");
                app.signed_in_member(team.id, &email, "viewer").await;
                let members = team.owner().get(&app, "/api/v1/members").await.json();
                path = path.replace("{member}", &member_id(&members, &email));
            }
            let response = client.send(&app, method.clone(), &path, None, &[]).await;
            if allowed.contains(role) {
                assert!(
                    response.status.is_success(),
                    "{role} may {what}: {} {}",
                    response.status,
                    response.text()
                );
            } else {
                assert_eq!(response.status, 403, "{role} may not {what}: {}", response.text());
            }
        }
    }
}

#[tokio::test]
async fn another_organizations_members_are_not_found() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let acme_owner = team.owner();
    let globex = app.organization("Globex").await;
    let globex_owner = app.signed_in_owner(&globex).await;
    let globex_members = globex_owner.get(&app, "/api/v1/members").await.json();
    let their_member = member_id(&globex_members, &globex.owner.email);

    acme_owner
        .delete(&app, &format!("/api/v1/members/{their_member}"))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(globex_owner.get(&app, "/api/v1/members").await.json(), globex_members);
    let acme_members = acme_owner.get(&app, "/api/v1/members").await.json();
    assert!(
        acme_members.as_array().unwrap().iter().all(|member| member["email"] != globex.owner.email.as_str()),
        "{acme_members}"
    );
}

#[tokio::test]
async fn deactivation_is_for_superusers_and_ends_sessions_and_tokens() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
    let sales = team.member("sales");
    let sales_id = sales.user_id.to_string();
    let token = sales
        .post(&app, "/api/v1/tokens", json!({"name": "t", "scopes": ["members.view"]}))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    owner
        .post(&app, &format!("/api/v1/users/{sales_id}/deactivate"), json!({}))
        .await
        .assert_problem(403, "forbidden");

    let root_id = app.superuser("root@example.com").await;
    let root = Client::logged_in(&app, "root@example.com").await;
    root.post(&app, &format!("/api/v1/users/{root_id}/deactivate"), json!({}))
        .await
        .assert_problem(409, "self_deactivation");
    let done = root.post(&app, &format!("/api/v1/users/{sales_id}/deactivate"), json!({})).await;
    assert_eq!(done.status, 204, "{}", done.text());
    assert_eq!(sales.get(&app, "/api/v1/me").await.status, 401);
    assert_eq!(Client::bearer(&token).get(&app, "/api/v1/me").await.status, 401);
    Client::login(&app, "sales@acme.test", baseops_test_support::PASSWORD)
        .await
        .1
        .assert_problem(401, "invalid_credentials");
    let listed = owner.get(&app, "/api/v1/members").await.json();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user_id"] == sales_id.as_str() && m["is_active"] == false)
    );
}

#[tokio::test]
async fn only_the_right_roles_edit_or_delete_the_organization() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let path = format!("/api/v1/organizations/{}", team.id);
    for (role, client) in &team.members {
        let response = client.patch(&app, &path, json!({"time_zone": "Europe/Paris"}), None).await;
        if ["owner", "admin"].contains(role) {
            assert_eq!(response.status, 200, "{role}: {}", response.text());
        } else {
            response.assert_problem(403, "forbidden");
        }
    }
    let owner = team.owner();
    for unknown in ["euros", "XYZ", "HRK"] {
        let problem = owner
            .patch(&app, &path, json!({"currency": unknown}), None)
            .await
            .assert_problem(422, "validation_failed");
        assert!(problem["errors"]["currency"].is_array(), "{problem}");
    }
    let changed = owner.patch(&app, &path, json!({"currency": "jpy"}), None).await;
    assert_eq!(changed.json()["currency"], "JPY", "any case in, the ISO code stored");
    let globex = app.organization("Globex").await;
    let globex_owner = app.signed_in_owner(&globex).await;
    let foreign = format!("/api/v1/organizations/{}", globex.id);
    owner.patch(&app, &foreign, json!({"name": "Pwned"}), None).await.assert_problem(404, "not_found");
    owner.delete(&app, &foreign).await.assert_problem(404, "not_found");
    owner.patch(&app, &path, json!({"slug": globex.slug}), None).await.assert_problem(409, "slug_taken");

    let admin = team.member("admin");
    admin.delete(&app, &path).await.assert_problem(403, "forbidden");
    let deleted = owner.delete(&app, &path).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(owner.get(&app, "/api/v1/organizations").await.json(), json!([]));
    assert_eq!(admin.get(&app, "/api/v1/me").await.json()["organizations"], json!([]));
    assert_eq!(globex_owner.get(&app, "/api/v1/organizations").await.json().as_array().unwrap().len(), 1);
    // The audit trail outlives the organization, and its deletion is the last word in it.
    let filter = baseops_audit::EventFilter { organization_id: Some(team.id), ..Default::default() };
    let events = baseops_audit::list(app.state().db().read(), &filter).await.unwrap();
    assert_eq!(events.items[0].action, "organization.delete");
}
