//! Roles and members through the API: each endpoint against each default role, the tenant
//! boundary, the owner rules, custom roles, and deactivation.

mod common;

use common::{Client, identity_app, join, user};
use http::Method;
use serde_json::{Value, json};
use uuid::Uuid;

const ROLES: [&str; 8] =
    ["owner", "admin", "manager", "sales", "accountant", "marketer", "support", "viewer"];

/// What is asked, how, with which body, and the roles that may do it.
type Case = (&'static str, Method, &'static str, Option<Value>, &'static [&'static str]);

struct Org {
    id: Uuid,
    clients: Vec<(&'static str, Client)>,
}

async fn organization_with_every_role(app: &baseops_test_support::TestApp) -> Org {
    let (_, id) = user(app, "owner@acme.test", Some("Acme")).await;
    let id = id.unwrap();
    let mut clients = vec![("owner", Client::logged_in(app, "owner@acme.test").await)];
    for role in &ROLES[1..] {
        let email = format!("{role}@acme.test");
        let (user_id, _) = user(app, &email, None).await;
        join(app, user_id, id, role).await;
        clients.push((role, Client::logged_in(app, &email).await));
    }
    Org { id, clients }
}

fn member_id(members: &Value, email: &str) -> String {
    members.as_array().unwrap().iter().find(|m| m["email"] == email).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn role_id(roles: &Value, key: &str) -> String {
    roles.as_array().unwrap().iter().find(|r| r["key"] == key).unwrap()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_endpoint_answers_each_default_role_as_documented() {
    let app = identity_app().await;
    let org = organization_with_every_role(&app).await;
    let cases: [Case; 6] = [
        ("list members", Method::GET, "/api/v1/members", None, &ROLES),
        ("list permissions", Method::GET, "/api/v1/permissions", None, &ROLES),
        ("list roles", Method::GET, "/api/v1/roles", None, &["owner", "admin", "manager", "viewer"]),
        ("read the audit trail", Method::GET, "/api/v1/audit/events", None, &["owner", "admin", "manager"]),
        ("create a role", Method::POST, "/api/v1/roles", Some(json!({"name": "Temp"})), &["owner", "admin"]),
        ("remove a member", Method::DELETE, "/api/v1/members/{member}", None, &["owner", "admin"]),
    ];
    for (what, method, path, body, allowed) in cases {
        for (role, client) in &org.clients {
            let mut path = path.to_owned();
            let mut body = body.clone();
            if path.contains("{member}") {
                // A fresh member to remove, so each role's attempt has something to act on.
                let email = format!("victim-{role}@acme.test");
                let (victim, _) = user(&app, &email, None).await;
                join(&app, victim, org.id, "viewer").await;
                let members = org.clients[0].1.get(&app, "/api/v1/members").await.json();
                path = path.replace("{member}", &member_id(&members, &email));
            }
            if let Some(Value::Object(map)) = body.as_mut() {
                map.insert("name".into(), json!(format!("Temp {role}")));
            }
            let response = client.send(&app, method.clone(), &path, body).await;
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
    let me =
        org.clients.iter().find(|(role, _)| *role == "sales").unwrap().1.get(&app, "/api/v1/me").await.json();
    assert_eq!(
        me["permissions"],
        json!({"members.view": "all"}),
        "sales in an organization with no business apps yet"
    );
}

#[tokio::test]
async fn another_organizations_roles_and_members_are_not_found() {
    let app = identity_app().await;
    let org = organization_with_every_role(&app).await;
    let acme_owner = &org.clients[0].1;
    user(&app, "owner@globex.test", Some("Globex")).await;
    let globex_owner = Client::logged_in(&app, "owner@globex.test").await;
    let globex_roles = globex_owner.get(&app, "/api/v1/roles").await.json();
    let globex_members = globex_owner.get(&app, "/api/v1/members").await.json();
    let their_role = role_id(&globex_roles, "viewer");
    let their_member = member_id(&globex_members, "owner@globex.test");

    let patched = acme_owner
        .send(&app, Method::PATCH, &format!("/api/v1/roles/{their_role}"), Some(json!({"name": "Pwned"})))
        .await;
    patched.assert_problem(404, "not_found");
    acme_owner
        .send(&app, Method::DELETE, &format!("/api/v1/roles/{their_role}"), None)
        .await
        .assert_problem(404, "not_found");
    acme_owner
        .send(&app, Method::DELETE, &format!("/api/v1/members/{their_member}"), None)
        .await
        .assert_problem(404, "not_found");
    let acme_roles = acme_owner.get(&app, "/api/v1/roles").await.json();
    let put = acme_owner
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/members/{their_member}/roles"),
            Some(json!({"roles": [role_id(&acme_roles, "viewer")]})),
        )
        .await;
    put.assert_problem(404, "not_found");
    // Giving an Acme member a Globex role is refused too.
    let acme_members = acme_owner.get(&app, "/api/v1/members").await.json();
    let sales = member_id(&acme_members, "sales@acme.test");
    let crossed = acme_owner
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/members/{sales}/roles"),
            Some(json!({"roles": [their_role]})),
        )
        .await;
    crossed.assert_problem(422, "validation_failed");
    assert_eq!(globex_owner.get(&app, "/api/v1/roles").await.json(), globex_roles, "Globex's roles changed");
    assert_eq!(globex_owner.get(&app, "/api/v1/members").await.json(), globex_members);
}

#[tokio::test]
async fn the_last_owner_stays_and_the_owner_role_keeps_every_permission() {
    let app = identity_app().await;
    let org = organization_with_every_role(&app).await;
    let owner = &org.clients[0].1;
    let roles = owner.get(&app, "/api/v1/roles").await.json();
    let members = owner.get(&app, "/api/v1/members").await.json();
    let me = member_id(&members, "owner@acme.test");
    let admin = member_id(&members, "admin@acme.test");

    let demote = owner
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/members/{me}/roles"),
            Some(json!({"roles": [role_id(&roles, "admin")]})),
        )
        .await;
    demote.assert_problem(409, "last_owner");
    owner
        .send(&app, Method::DELETE, &format!("/api/v1/members/{me}"), None)
        .await
        .assert_problem(409, "last_owner");
    let owner_role = role_id(&roles, "owner");
    let fixed = owner
        .send(&app, Method::PATCH, &format!("/api/v1/roles/{owner_role}"), Some(json!({"grants": {}})))
        .await;
    fixed.assert_problem(409, "owner_role_fixed");
    owner
        .send(&app, Method::DELETE, &format!("/api/v1/roles/{owner_role}"), None)
        .await
        .assert_problem(409, "owner_role_fixed");

    // With a second owner, the first may step down.
    let promote = owner
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/members/{admin}/roles"),
            Some(json!({"roles": [owner_role]})),
        )
        .await;
    assert_eq!(promote.status, 204, "{}", promote.text());
    let step_down = owner
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/members/{me}/roles"),
            Some(json!({"roles": [role_id(&roles, "viewer")]})),
        )
        .await;
    assert_eq!(step_down.status, 204, "{}", step_down.text());
    owner.post(&app, "/api/v1/roles", json!({"name": "Nope"})).await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn custom_roles_are_validated_and_give_their_grants() {
    let app = identity_app().await;
    let org = organization_with_every_role(&app).await;
    let owner = &org.clients[0].1;
    owner
        .post(&app, "/api/v1/roles", json!({"name": "X", "grants": {"no.such": "all"}}))
        .await
        .assert_problem(422, "validation_failed");
    owner
        .post(&app, "/api/v1/roles", json!({"name": "X", "grants": {"roles.view": "own"}}))
        .await
        .assert_problem(422, "validation_failed");
    owner
        .post(&app, "/api/v1/roles", json!({"name": "x".repeat(65)}))
        .await
        .assert_problem(422, "validation_failed");
    owner.post(&app, "/api/v1/roles", json!({"name": "Sales"})).await.assert_problem(409, "role_name_taken");

    let created =
        owner.post(&app, "/api/v1/roles", json!({"name": "Auditor", "grants": {"audit.view": "all"}})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let auditor = created.json()["id"].as_str().unwrap().to_owned();
    let members = owner.get(&app, "/api/v1/members").await.json();
    let support = member_id(&members, "support@acme.test");
    let given = owner
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/members/{support}/roles"),
            Some(json!({"roles": [auditor]})),
        )
        .await;
    assert_eq!(given.status, 204, "{}", given.text());
    let support_client = &org.clients.iter().find(|(role, _)| *role == "support").unwrap().1;
    assert_eq!(
        support_client.get(&app, "/api/v1/me").await.json()["permissions"],
        json!({"audit.view": "all"})
    );
    assert_eq!(support_client.get(&app, "/api/v1/audit/events").await.status, 200);

    let renamed = owner
        .send(&app, Method::PATCH, &format!("/api/v1/roles/{auditor}"), Some(json!({"grants": {}})))
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(
        support_client.get(&app, "/api/v1/audit/events").await.status,
        403,
        "revoked grant still works"
    );
}

#[tokio::test]
async fn deactivation_is_for_superusers_and_ends_sessions_and_tokens() {
    let app = identity_app().await;
    let org = organization_with_every_role(&app).await;
    let owner = &org.clients[0].1;
    let (sales_user, sales) =
        &org.clients.iter().find(|(role, _)| *role == "sales").map(|(r, c)| (*r, c)).unwrap();
    let members = owner.get(&app, "/api/v1/members").await.json();
    let sales_id =
        members.as_array().unwrap().iter().find(|m| m["email"] == format!("{sales_user}@acme.test")).unwrap()
            ["user_id"]
            .as_str()
            .unwrap()
            .to_owned();
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

    let (root_id, _) = common::superuser(&app, "root@example.com").await;
    let root = Client::logged_in(&app, "root@example.com").await;
    root.post(&app, &format!("/api/v1/users/{root_id}/deactivate"), json!({}))
        .await
        .assert_problem(409, "self_deactivation");
    let done = root.post(&app, &format!("/api/v1/users/{sales_id}/deactivate"), json!({})).await;
    assert_eq!(done.status, 204, "{}", done.text());
    assert_eq!(sales.get(&app, "/api/v1/me").await.status, 401);
    assert_eq!(Client::bearer(&token).get(&app, "/api/v1/me").await.status, 401);
    Client::login(&app, "sales@acme.test", common::PASSWORD)
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
    let app = identity_app().await;
    let org = organization_with_every_role(&app).await;
    let path = format!("/api/v1/organizations/{}", org.id);
    for (role, client) in &org.clients {
        let response =
            client.send(&app, Method::PATCH, &path, Some(json!({"time_zone": "Europe/Paris"}))).await;
        if ["owner", "admin"].contains(role) {
            assert_eq!(response.status, 200, "{role}: {}", response.text());
        } else {
            response.assert_problem(403, "forbidden");
        }
    }
    let owner = &org.clients[0].1;
    owner
        .send(&app, Method::PATCH, &path, Some(json!({"currency": "euros"})))
        .await
        .assert_problem(422, "validation_failed");
    user(&app, "owner@globex.test", Some("Globex")).await;
    let globex = Client::logged_in(&app, "owner@globex.test").await;
    let globex_org =
        globex.get(&app, "/api/v1/organizations").await.json()[0]["id"].as_str().unwrap().to_owned();
    let foreign = format!("/api/v1/organizations/{globex_org}");
    owner
        .send(&app, Method::PATCH, &foreign, Some(json!({"name": "Pwned"})))
        .await
        .assert_problem(404, "not_found");
    owner.send(&app, Method::DELETE, &foreign, None).await.assert_problem(404, "not_found");
    owner
        .send(&app, Method::PATCH, &path, Some(json!({"slug": "globex"})))
        .await
        .assert_problem(409, "slug_taken");

    let admin = &org.clients[1].1;
    admin.send(&app, Method::DELETE, &path, None).await.assert_problem(403, "forbidden");
    let deleted = owner.send(&app, Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(owner.get(&app, "/api/v1/organizations").await.json(), json!([]));
    assert_eq!(admin.get(&app, "/api/v1/me").await.json()["organizations"], json!([]));
    assert_eq!(globex.get(&app, "/api/v1/organizations").await.json().as_array().unwrap().len(), 1);
    // The audit trail outlives the organization.
    let filter = baseops_audit::EventFilter { organization_id: Some(org.id), ..Default::default() };
    let events = baseops_audit::list(app.state().db().read(), &filter).await.unwrap();
    assert_eq!(events.items[0].action, "organization.delete");
}

#[tokio::test]
async fn changing_a_members_roles_emits_role_changed_in_the_same_transaction() {
    use baseops_jobs::model::event;
    use sea_orm::EntityTrait;

    let app = identity_app().await;
    let org = organization_with_every_role(&app).await;
    let owner = &org.clients[0].1;
    let roles = owner.get(&app, "/api/v1/roles").await.json();
    let members = owner.get(&app, "/api/v1/members").await.json();
    let sales = member_id(&members, "sales@acme.test");
    let before = event::Entity::find().all(app.state().db().read()).await.unwrap().len();
    let refused = owner
        .send(&app, Method::PUT, &format!("/api/v1/members/{sales}/roles"), Some(json!({"roles": ["nope"]})))
        .await;
    assert_eq!(refused.status, 422);
    let changed = owner
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/members/{sales}/roles"),
            Some(json!({"roles": [role_id(&roles, "viewer")]})),
        )
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text());
    let events = event::Entity::find().all(app.state().db().read()).await.unwrap();
    assert_eq!(events.len(), before + 1, "{events:?}");
    let last = events.last().unwrap();
    assert_eq!(last.name, "role.changed");
    assert_eq!(last.organization_id, Some(org.id));
    assert_eq!(last.request_id, changed.header("x-request-id").unwrap());
}
