//! Giving members roles with `PUT /api/v1/members/{id}/roles`: the complete set replaces the
//! old one, only the organization's own roles, never the last owner, and `role.changed`
//! emitted with the change.

use baseops_jobs::model::event;
use baseops_test_support::TestApp;
use sea_orm::EntityTrait;
use serde_json::json;
use uuid::Uuid;

use crate::support::{member, members, my_permissions, role_id, role_ids, roles, set_member_roles};

#[tokio::test]
async fn the_last_owner_stays_and_the_owner_role_keeps_every_permission() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
    let me = app.membership_id(owner, "owner@acme.test").await;
    let admin = app.membership_id(owner, "admin@acme.test").await;
    let owner_role = role_id(&app, owner, "owner").await;

    set_member_roles(&app, owner, &me, &[&role_id(&app, owner, "admin").await])
        .await
        .assert_problem(409, "last_owner");
    set_member_roles(&app, owner, &me, &[]).await.assert_problem(409, "last_owner");
    owner.delete(&app, &format!("/api/v1/members/{me}")).await.assert_problem(409, "last_owner");
    let fixed = owner.patch(&app, &format!("/api/v1/roles/{owner_role}"), json!({"grants": {}}), None).await;
    fixed.assert_problem(409, "owner_role_fixed");
    owner.delete(&app, &format!("/api/v1/roles/{owner_role}")).await.assert_problem(409, "owner_role_fixed");
    assert_eq!(member(&members(&app, owner).await, "owner@acme.test")["role_ids"], json!([owner_role]));

    // With a second owner, the first may step down.
    let promote = set_member_roles(&app, owner, &admin, &[&owner_role]).await;
    assert_eq!(promote.status, 204, "{}", promote.text());
    let step_down = set_member_roles(&app, owner, &me, &[&role_id(&app, owner, "viewer").await]).await;
    assert_eq!(step_down.status, 204, "{}", step_down.text());
    owner.post(&app, "/api/v1/roles", json!({"name": "Nope"})).await.assert_problem(403, "forbidden");
    // Now the former admin is the last owner.
    let new_owner = team.member("admin");
    set_member_roles(&app, new_owner, &admin, &[]).await.assert_problem(409, "last_owner");
}

#[tokio::test]
async fn changing_a_members_roles_emits_role_changed_in_the_same_transaction() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
    let sales = app.membership_id(owner, "sales@acme.test").await;
    let viewer = role_id(&app, owner, "viewer").await;
    let before = event::Entity::find().all(app.state().db().read()).await.unwrap().len();
    let refused =
        owner.put(&app, &format!("/api/v1/members/{sales}/roles"), json!({"roles": ["nope"]})).await;
    assert_eq!(refused.status, 422);
    let changed = set_member_roles(&app, owner, &sales, &[&viewer]).await;
    assert_eq!(changed.status, 204, "{}", changed.text());
    let events = event::Entity::find().all(app.state().db().read()).await.unwrap();
    assert_eq!(events.len(), before + 1, "{events:?}");
    let last = events.last().unwrap();
    assert_eq!(last.name, "role.changed");
    assert_eq!(last.organization_id, Some(team.id));
    assert_eq!(last.request_id, changed.header("x-request-id").unwrap());

    // Giving the same roles again changes nothing and says nothing.
    assert_eq!(set_member_roles(&app, owner, &sales, &[&viewer]).await.status, 204);
    assert_eq!(event::Entity::find().all(app.state().db().read()).await.unwrap().len(), before + 1);
    app.run_jobs().await;
}

#[tokio::test]
async fn a_members_roles_are_replaced_by_the_set_given() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
    let support = app.membership_id(owner, "support@acme.test").await;
    let (viewer, accountant) =
        (role_id(&app, owner, "viewer").await, role_id(&app, owner, "accountant").await);

    let both = set_member_roles(&app, owner, &support, &[&viewer, &accountant, &viewer]).await;
    assert_eq!(both.status, 204, "{}", both.text());
    let mut expected = vec![viewer.clone(), accountant.clone()];
    expected.sort();
    assert_eq!(role_ids(&members(&app, owner).await, "support@acme.test"), expected, "duplicates count once");
    // The widest scope of either role wins.
    let held = my_permissions(&app, team.member("support")).await;
    assert_eq!(held["tasks.view"], "all", "viewer reads every task, accountant only their own: {held}");
    assert_eq!(held["customers.view"], "all");
    assert!(held.get("tasks.create").is_none(), "support's own grants outlived the role: {held}");
    assert!(held.get("audit.view").is_none(), "{held}");

    let none = set_member_roles(&app, owner, &support, &[]).await;
    assert_eq!(none.status, 204, "{}", none.text());
    assert!(role_ids(&members(&app, owner).await, "support@acme.test").is_empty());
    assert_eq!(
        my_permissions(&app, team.member("support")).await,
        json!({}),
        "a member without roles holds nothing"
    );
    team.member("support").get(&app, "/api/v1/members").await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn bad_role_sets_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
    let sales = app.membership_id(owner, "sales@acme.test").await;
    let viewer = role_id(&app, owner, "viewer").await;
    let path = format!("/api/v1/members/{sales}/roles");
    let before = members(&app, owner).await;

    let too_many: Vec<String> = std::iter::repeat_n(viewer.clone(), 51).collect();
    for body in [
        json!({"roles": too_many}),
        json!({"roles": [Uuid::now_v7()]}),
        json!({"roles": [viewer, Uuid::now_v7()]}),
        json!({"roles": ["nope"]}),
        json!({"roles": viewer}),
        json!({}),
        json!({"roles": [viewer], "member": sales}),
    ] {
        owner.put(&app, &path, body).await.assert_problem(422, "validation_failed");
    }
    for unknown in [Uuid::now_v7().to_string(), role_id(&app, owner, "sales").await] {
        // Neither a random id nor a role's id is a membership.
        set_member_roles(&app, owner, &unknown, &[&viewer]).await.assert_problem(404, "not_found");
    }
    assert_eq!(members(&app, owner).await, before, "a refused change changed a member's roles");
    assert!(app.audit(Some(team.id), "membership.roles_set").await.is_empty());
}

#[tokio::test]
async fn another_organizations_roles_and_members_are_out_of_reach() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let acme_owner = team.owner();
    let globex = app.organization("Globex").await;
    let globex_owner = app.signed_in_owner(&globex).await;
    let globex_roles = roles(&app, &globex_owner).await;
    let globex_members = members(&app, &globex_owner).await;
    let their_role = role_id(&app, &globex_owner, "viewer").await;
    let their_member = member(&globex_members, "owner@globex.test")["id"].as_str().unwrap().to_owned();

    let acme_viewer = role_id(&app, acme_owner, "viewer").await;
    set_member_roles(&app, acme_owner, &their_member, &[&acme_viewer]).await.assert_problem(404, "not_found");
    acme_owner
        .clone()
        .in_org(globex.id)
        .put(&app, &format!("/api/v1/members/{their_member}/roles"), json!({"roles": [their_role]}))
        .await
        .assert_problem(404, "not_found");
    // Giving an Acme member a Globex role is refused too.
    let sales = app.membership_id(acme_owner, "sales@acme.test").await;
    let crossed = set_member_roles(&app, acme_owner, &sales, &[&their_role]).await;
    crossed.assert_problem(422, "validation_failed");
    let acme_members = members(&app, acme_owner).await;
    assert_eq!(
        member(&acme_members, "sales@acme.test")["role_ids"],
        json!([role_id(&app, acme_owner, "sales").await])
    );
    assert_eq!(roles(&app, &globex_owner).await, globex_roles, "Globex's roles changed");
    assert_eq!(members(&app, &globex_owner).await, globex_members);
}
