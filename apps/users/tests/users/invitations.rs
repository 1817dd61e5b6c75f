//! Invitations through the HTTP API: who may invite whom, accepting with and without an
//! account, revocation, the tenant boundary, and the audit trail.

use baseops_test_support::{Client, TestApp, TestResponse, link_token};
use baseops_users::model::one_time_token;
use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::member_id;

const NEW_PASSWORD: &str = "violet-harbor-77-lamp";

/// A new build with Acme and its owner signed in.
async fn acme() -> (TestApp, Uuid, Client) {
    let app = TestApp::new().await;
    let org = app.org().await;
    let owner = app.signed_in_owner(org).await;
    let id = org.id;
    (app, id, owner)
}

async fn invite(app: &TestApp, client: &Client, email: &str, role: &str) -> TestResponse {
    client.post(app, "/api/v1/invitations", json!({"email": email, "role": role})).await
}

async fn accept(app: &TestApp, client: &Client, body: Value) -> TestResponse {
    client.post(app, "/api/v1/invitations/accept", body).await
}

fn pending_count(listed: &Value) -> usize {
    listed.as_array().unwrap().len()
}

#[tokio::test]
async fn an_invited_person_without_an_account_joins_with_the_invited_role() {
    let (app, org, owner) = acme().await;
    let created = invite(&app, &owner, " New@Example.com ", "sales").await;
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    assert_eq!(
        (created["email"].as_str(), created["role"].as_str()),
        (Some("new@example.com"), Some("sales"))
    );
    assert!(created.get("token").is_none() && created.get("token_hash").is_none(), "{created}");
    let listed = owner.get(&app, "/api/v1/invitations").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()[0]["id"], created["id"]);

    let message = app.only_email_to("new@example.com").await;
    assert!(message.contains("Subject: You are invited to Acme on baseops"), "{message}");
    assert!(message.contains("as Sales"), "{message}");
    let token = link_token(&message);
    assert!(
        message.contains(&format!("http://localhost:8000/admin/accept-invitation?token={token}")),
        "{message}"
    );
    assert!(!listed.text().contains(&token), "the token is listed");

    // A new account needs a name and a strong password; a refusal keeps the invitation.
    let nameless = accept(&app, &Client::anonymous(), json!({"token": token})).await;
    let problem = nameless.assert_problem(422, "validation_failed");
    assert!(
        problem["errors"]["display_name"].is_array() && problem["errors"]["password"].is_array(),
        "{problem}"
    );
    let weak = accept(
        &app,
        &Client::anonymous(),
        json!({"token": token, "display_name": "Nina", "password": "password123"}),
    )
    .await;
    weak.assert_problem(422, "validation_failed");
    let long_name = accept(
        &app,
        &Client::anonymous(),
        json!({"token": token, "display_name": "n".repeat(101), "password": NEW_PASSWORD}),
    )
    .await;
    long_name.assert_problem(422, "validation_failed");
    Client::login(&app, "new@example.com", NEW_PASSWORD).await.1.assert_problem(401, "invalid_credentials");

    let accepted = accept(
        &app,
        &Client::anonymous(),
        json!({"token": token, "display_name": "Nina", "password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(accepted.status, 201, "{}", accepted.text());
    let accepted = accepted.json();
    assert_eq!(accepted["organization_id"], org.to_string());

    let (nina, login) = Client::login(&app, "new@example.com", NEW_PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.text());
    let me = nina.get(&app, "/api/v1/me").await.json();
    assert_eq!(me["user"]["id"], accepted["user_id"]);
    assert_eq!(me["user"]["display_name"], "Nina");
    assert!(me["user"]["email_verified_at"].is_string(), "the link proved the address: {me}");
    assert_eq!(me["organizations"][0]["id"], org.to_string());
    assert_eq!(me["permissions"]["members.view"], "all", "{me}");
    assert!(me["permissions"].get("members.invite").is_none(), "{me}");

    accept(
        &app,
        &Client::anonymous(),
        json!({"token": token, "display_name": "Nina", "password": NEW_PASSWORD}),
    )
    .await
    .assert_problem(400, "invalid_link");
    assert_eq!(pending_count(&owner.get(&app, "/api/v1/invitations").await.json()), 0);
    let invitation_id = created["id"].as_str().unwrap();
    for action in ["invitation.create", "invitation.accept", "membership.create", "membership.role_given"] {
        assert!(!app.audit(Some(org), action).await.is_empty(), "{action} missing");
    }
    let accepted_event = &app.audit(Some(org), "invitation.accept").await[0];
    assert_eq!(accepted_event.entity_id, invitation_id);
    assert_eq!(accepted_event.actor_id.as_deref(), accepted["user_id"].as_str());
    assert_eq!(app.audit(None, "user.create").await.len(), 2, "Acme's owner and Nina");
}

#[tokio::test]
async fn an_existing_account_accepts_only_when_signed_in_as_itself() {
    let (app, org, owner) = acme().await;
    let bob_id = app.user("bob@example.com").await;
    let bobs_shop = app.organization("Bobs Shop").await;
    app.join(bob_id, bobs_shop.id, "admin").await;
    app.user("carol@example.com").await;
    assert_eq!(invite(&app, &owner, "bob@example.com", "support").await.status, 201);
    let token = link_token(&app.only_email_to("bob@example.com").await);

    let anonymous = accept(
        &app,
        &Client::anonymous(),
        json!({"token": token, "display_name": "Impostor", "password": NEW_PASSWORD}),
    )
    .await;
    anonymous.assert_problem(403, "wrong_account");
    let carol = Client::logged_in(&app, "carol@example.com").await;
    accept(&app, &carol, json!({"token": token})).await.assert_problem(403, "wrong_account");
    let bob = Client::logged_in(&app, "bob@example.com").await;
    accept(&app, &bob.clone().without_csrf(), json!({"token": token}))
        .await
        .assert_problem(403, "csrf_failed");

    let accepted = accept(&app, &bob, json!({"token": token})).await;
    assert_eq!(accepted.status, 201, "{}", accepted.text());
    assert_eq!(accepted.json()["user_id"], bob_id.to_string());
    let me = bob.clone().in_org(org).get(&app, "/api/v1/me").await.json();
    assert_eq!(me["organizations"].as_array().unwrap().len(), 2, "{me}");
    assert_eq!(me["permissions"]["members.view"], "all", "{me}");
    assert!(me["user"]["email_verified_at"].is_null(), "an existing account's verification is its own");
    accept(&app, &bob, json!({"token": token})).await.assert_problem(400, "invalid_link");
    assert_eq!(app.audit(Some(org), "invitation.accept").await[0].actor_id, Some(bob_id.to_string()));
}

#[tokio::test]
async fn who_may_invite_whom() {
    let (app, org, owner) = acme().await;
    let sales = app.signed_in_member(org, "sales@acme.test", "sales").await;
    let manager = app.signed_in_member(org, "manager@acme.test", "manager").await;

    invite(&app, &sales, "x@example.com", "viewer").await.assert_problem(403, "forbidden");
    sales.get(&app, "/api/v1/invitations").await.assert_problem(403, "forbidden");
    for role in ["admin", "owner"] {
        invite(&app, &manager, "y@example.com", role).await.assert_problem(403, "role_not_allowed");
    }
    assert!(app.emails().await.is_empty(), "a refused invitation was sent");
    assert_eq!(pending_count(&owner.get(&app, "/api/v1/invitations").await.json()), 0);
    assert!(app.audit(Some(org), "invitation.create").await.is_empty());

    let by_manager = invite(&app, &manager, "y@example.com", "sales").await;
    assert_eq!(by_manager.status, 201, "{}", by_manager.text());
    let by_owner = invite(&app, &owner, "z@example.com", "admin").await;
    assert_eq!(by_owner.status, 201, "{}", by_owner.text());
    assert_eq!(app.emails().await.len(), 2);
    assert_eq!(pending_count(&manager.get(&app, "/api/v1/invitations").await.json()), 2);
    assert_eq!(app.audit(Some(org), "invitation.create").await.len(), 2);
}

#[tokio::test]
async fn members_duplicates_and_bad_input_are_refused_and_send_nothing() {
    let (app, org, owner) = acme().await;
    app.signed_in_member(org, "sales@acme.test", "sales").await;
    invite(&app, &owner, "SALES@acme.test", "viewer").await.assert_problem(409, "already_member");
    assert_eq!(invite(&app, &owner, "new@example.com", "viewer").await.status, 201);
    invite(&app, &owner, "new@example.com", "sales").await.assert_problem(409, "already_invited");
    for body in [
        json!({"email": "not-an-address", "role": "sales"}),
        json!({"email": format!("{}@example.com", "a".repeat(250)), "role": "sales"}),
        json!({"email": "a@example.com", "role": "superuser"}),
        json!({"email": "a@example.com", "role": "Sales"}),
        json!({"email": "a@example.com", "role": "sales", "organization_id": Uuid::now_v7()}),
        json!({"email": "a@example.com"}),
        json!({"email": "<script>@example.com", "role": "sales"}),
    ] {
        let response = owner.post(&app, "/api/v1/invitations", body.clone()).await;
        assert_eq!(response.status, 422, "{body}: {}", response.text());
    }
    assert_eq!(app.emails().await.len(), 1);
    assert_eq!(pending_count(&owner.get(&app, "/api/v1/invitations").await.json()), 1);
}

#[tokio::test]
async fn a_revoked_or_expired_invitation_no_longer_works() {
    let (app, org, owner) = acme().await;
    let created = invite(&app, &owner, "new@example.com", "viewer").await.json();
    let token = link_token(&app.only_email_to("new@example.com").await);
    let path = format!("/api/v1/invitations/{}", created["id"].as_str().unwrap());
    let revoked = owner.delete(&app, &path).await;
    assert_eq!(revoked.status, 204, "{}", revoked.text());
    owner.delete(&app, &path).await.assert_problem(404, "not_found");
    let body = json!({"token": token, "display_name": "Nina", "password": NEW_PASSWORD});
    accept(&app, &Client::anonymous(), body).await.assert_problem(400, "invalid_link");
    let events = app.audit(Some(org), "invitation.revoke").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].entity_id, created["id"].as_str().unwrap());

    // Revoking freed the address for a new invitation, which expires like any link.
    assert_eq!(invite(&app, &owner, "new@example.com", "viewer").await.status, 201);
    let token = link_token(&app.emails().await[1]);
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::ExpiresAt, Expr::value(past))
        .exec(app.state().db().write())
        .await
        .unwrap();
    assert_eq!(pending_count(&owner.get(&app, "/api/v1/invitations").await.json()), 0);
    let body = json!({"token": token, "display_name": "Nina", "password": NEW_PASSWORD});
    accept(&app, &Client::anonymous(), body).await.assert_problem(400, "invalid_link");
    Client::login(&app, "new@example.com", NEW_PASSWORD).await.1.assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn another_organizations_invitation_is_not_found() {
    let (app, acme, acme_owner) = acme().await;
    let globex = app.organization("Globex").await;
    let globex_owner = app.signed_in_owner(&globex).await;
    let created = invite(&app, &acme_owner, "new@example.com", "viewer").await.json();
    let path = format!("/api/v1/invitations/{}", created["id"].as_str().unwrap());

    globex_owner.delete(&app, &path).await.assert_problem(404, "not_found");
    assert_eq!(pending_count(&globex_owner.get(&app, "/api/v1/invitations").await.json()), 0);
    // Naming the other organization does not help either.
    let as_acme = globex_owner.clone().in_org(acme);
    as_acme.delete(&app, &path).await.assert_problem(404, "not_found");
    assert_eq!(pending_count(&acme_owner.get(&app, "/api/v1/invitations").await.json()), 1);
    assert!(app.audit(Some(globex.id), "invitation.revoke").await.is_empty());
    assert_eq!(one_time_token::Entity::find().count(app.state().db().read()).await.unwrap(), 1);
}

#[tokio::test]
async fn nobody_invites_with_more_permissions_than_they_hold() {
    let (app, org, owner) = acme().await;
    let recruiter = app.signed_in_member(org, "recruiter@acme.test", "support").await;
    // A custom role that may invite but sees nothing else.
    let role = owner
        .post(&app, "/api/v1/roles", json!({"name": "Recruiter", "grants": {"members.invite": "all"}}))
        .await;
    assert_eq!(role.status, 201, "{}", role.text());
    let members = owner.get(&app, "/api/v1/members").await.json();
    let membership = member_id(&members, "recruiter@acme.test");
    let role_id = role.json()["id"].as_str().unwrap().to_owned();
    let given =
        owner.put(&app, &format!("/api/v1/members/{membership}/roles"), json!({"roles": [role_id]})).await;
    assert_eq!(given.status, 204, "{}", given.text());

    // The viewer role grants members.view and roles.view, which the recruiter lacks.
    invite(&app, &recruiter, "x@example.com", "viewer").await.assert_problem(403, "role_not_allowed");
    assert!(app.emails().await.is_empty());
}
