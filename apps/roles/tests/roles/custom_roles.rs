//! Custom roles: created, edited and deleted through `/api/v1/roles`, validated against the
//! permission registry, kept inside their organization, and what their members then hold.

use baseops_roles::service::MAX_ROLES_PER_ORGANIZATION;
use baseops_test_support::TestApp;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{create_role, member, members, my_permissions, role_id, roles, set_member_roles};

#[tokio::test]
async fn custom_roles_are_validated_and_give_their_grants() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
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

    let auditor = create_role(&app, owner, json!({"name": "Auditor", "grants": {"audit.view": "all"}})).await;
    let auditor = auditor["id"].as_str().unwrap().to_owned();
    let support = app.membership_id(owner, "support@acme.test").await;
    let given = set_member_roles(&app, owner, &support, &[&auditor]).await;
    assert_eq!(given.status, 204, "{}", given.text());
    let support_client = team.member("support");
    assert_eq!(my_permissions(&app, support_client).await, json!({"audit.view": "all"}));
    assert_eq!(support_client.get(&app, "/api/v1/audit/events").await.status, 200);

    let emptied = owner.patch(&app, &format!("/api/v1/roles/{auditor}"), json!({"grants": {}}), None).await;
    assert_eq!(emptied.status, 200, "{}", emptied.text());
    assert_eq!(
        support_client.get(&app, "/api/v1/audit/events").await.status,
        403,
        "revoked grant still works"
    );
}

#[tokio::test]
async fn bad_input_creates_no_role() {
    let app = TestApp::new().await;
    let owner = app.signed_in_owner(app.org().await).await;
    let before = roles(&app, &owner).await;
    // More grants than the build has permissions: none of the extra ones exists.
    let too_many: serde_json::Map<String, Value> =
        (0..500).map(|i| (format!("made.up{i}"), json!("all"))).collect();
    let cases = [
        (json!({"name": "X", "grants": {"no.such": "all"}}), Some("grants.no.such")),
        (json!({"name": "X", "grants": {"roles.manage": "own"}}), Some("grants.roles.manage")),
        (json!({"name": "X", "grants": {"members.view": "own"}}), Some("grants.members.view")),
        (json!({"name": "X", "grants": {"leads.view": "some"}}), None),
        (json!({"name": "X", "grants": ["leads.view"]}), None),
        (json!({"name": "X", "grants": too_many}), Some("grants.made.up499")),
        (json!({"name": "x".repeat(65)}), Some("name")),
        (json!({"name": "   "}), Some("name")),
        (json!({"name": "Line\nbreak"}), Some("name")),
        (json!({"name": 42}), None),
        (json!({"description": "Who?"}), Some("name")),
        (json!({"name": "X", "description": "d".repeat(501)}), Some("description")),
        (json!({"name": "X", "key": "owner"}), None),
        (json!({"name": "X", "organization_id": Uuid::now_v7()}), None),
    ];
    for (body, field) in cases {
        let problem =
            owner.post(&app, "/api/v1/roles", body.clone()).await.assert_problem(422, "validation_failed");
        if let Some(field) = field {
            assert!(problem["errors"][field].is_array(), "{body}: {problem}");
        }
    }
    // Names are unique in the organization, once trimmed.
    for taken in ["Sales", "  Viewer "] {
        owner
            .post(&app, "/api/v1/roles", json!({"name": taken}))
            .await
            .assert_problem(409, "role_name_taken");
    }
    assert_eq!(roles(&app, &owner).await, before, "a refused role was created");

    // Every permission at once is not too many.
    let everything: serde_json::Map<String, Value> =
        app.state().permissions().permissions().iter().map(|p| (p.name.to_owned(), json!("all"))).collect();
    let created = create_role(&app, &owner, json!({"name": " Deputy ", "grants": everything})).await;
    assert_eq!(created["name"], "Deputy");
    assert_eq!(created["key"], Value::Null);
    assert_eq!(created["grants"], Value::Object(everything));
}

#[tokio::test]
async fn an_organization_has_at_most_a_hundred_roles() {
    let app = TestApp::new().await;
    let owner = app.signed_in_owner(app.org().await).await;
    let seeded = roles(&app, &owner).await.len();
    let room = usize::try_from(MAX_ROLES_PER_ORGANIZATION).unwrap() - seeded;
    let mut last = Value::Null;
    for i in 0..room {
        last = create_role(&app, &owner, json!({"name": format!("Team {i}")})).await;
    }
    owner
        .post(&app, "/api/v1/roles", json!({"name": "One too many"}))
        .await
        .assert_problem(409, "too_many_roles");
    assert_eq!(roles(&app, &owner).await.len(), usize::try_from(MAX_ROLES_PER_ORGANIZATION).unwrap());

    // Another organization has its own hundred; deleting one makes room again.
    let globex = app.signed_in_owner(&app.organization("Globex").await).await;
    create_role(&app, &globex, json!({"name": "Team 0"})).await;
    let deleted = owner.delete(&app, &format!("/api/v1/roles/{}", last["id"].as_str().unwrap())).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    create_role(&app, &owner, json!({"name": "One too many"})).await;
}

#[tokio::test]
async fn a_role_is_edited_in_place_and_its_members_hold_the_new_grants() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
    let created = create_role(
        &app,
        owner,
        json!({"name": "Closer", "description": "Closes deals", "grants": {"leads.view": "own"}}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/roles/{id}");
    let sales = app.membership_id(owner, "sales@acme.test").await;
    assert_eq!(set_member_roles(&app, owner, &sales, &[&id]).await.status, 204);
    assert_eq!(my_permissions(&app, team.member("sales")).await, json!({"leads.view": "own"}));

    let edited = owner
        .patch(
            &app,
            &path,
            json!({"name": "Senior closer", "grants": {"leads.view": "all", "leads.edit": "own", "customers.view": "all"}}),
            None,
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    let edited = edited.json();
    assert_eq!(edited["id"], id.as_str());
    assert_eq!(edited["name"], "Senior closer");
    assert_eq!(edited["description"], "Closes deals", "a field not sent is kept");
    let grants = json!({"customers.view": "all", "leads.edit": "own", "leads.view": "all"});
    assert_eq!(edited["grants"], grants);
    assert!(roles(&app, owner).await.contains(&edited), "the list shows the edit");
    assert_eq!(my_permissions(&app, team.member("sales")).await, grants, "the member holds the new grants");

    let unchanged = roles(&app, owner).await;
    for (body, status, code) in [
        (json!({"grants": {"no.such": "all"}}), 422, "validation_failed"),
        (json!({"grants": {"customers.view": "own"}}), 422, "validation_failed"),
        (json!({"name": ""}), 422, "validation_failed"),
        (json!({"name": "y".repeat(65)}), 422, "validation_failed"),
        (json!({"description": "d".repeat(501)}), 422, "validation_failed"),
        (json!({"colour": "red"}), 422, "validation_failed"),
        (json!({"name": "Manager"}), 409, "role_name_taken"),
    ] {
        owner.patch(&app, &path, body, None).await.assert_problem(status, code);
    }
    assert_eq!(roles(&app, owner).await, unchanged, "a refused edit changed the role");

    let untouched = owner.patch(&app, &path, json!({}), None).await;
    assert_eq!((untouched.status.as_u16(), untouched.json()), (200, edited));
}

#[tokio::test]
async fn the_owner_role_may_be_renamed_but_keeps_every_permission() {
    let app = TestApp::new().await;
    let owner = app.signed_in_owner(app.org().await).await;
    let id = role_id(&app, &owner, "owner").await;
    let path = format!("/api/v1/roles/{id}");
    let before = roles(&app, &owner).await;
    for grants in [json!({}), json!({"roles.view": "all"})] {
        owner
            .patch(&app, &path, json!({"name": "Boss", "grants": grants}), None)
            .await
            .assert_problem(409, "owner_role_fixed");
    }
    owner.delete(&app, &path).await.assert_problem(409, "owner_role_fixed");
    assert_eq!(roles(&app, &owner).await, before);

    let renamed = owner.patch(&app, &path, json!({"name": "Founder"}), None).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let renamed = renamed.json();
    assert_eq!((renamed["key"].as_str(), renamed["name"].as_str()), (Some("owner"), Some("Founder")));
    assert_eq!(renamed["grants"], crate::support::declared_grants(&app, "owner"));
    assert_eq!(my_permissions(&app, &owner).await["organizations.delete"], "all");
}

#[tokio::test]
async fn deleting_a_role_takes_it_from_its_members() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let owner = team.owner();
    let auditor = create_role(&app, owner, json!({"name": "Auditor", "grants": {"audit.view": "all"}})).await;
    let auditor = auditor["id"].as_str().unwrap().to_owned();
    let support = app.membership_id(owner, "support@acme.test").await;
    let support_role = role_id(&app, owner, "support").await;
    assert_eq!(set_member_roles(&app, owner, &support, &[&support_role, &auditor]).await.status, 204);
    assert_eq!(my_permissions(&app, team.member("support")).await["audit.view"], "all");

    let deleted = owner.delete(&app, &format!("/api/v1/roles/{auditor}")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert!(roles(&app, owner).await.iter().all(|role| role["id"] != auditor.as_str()));
    let listed = members(&app, owner).await;
    assert_eq!(member(&listed, "support@acme.test")["role_ids"], json!([support_role]));
    let held = my_permissions(&app, team.member("support")).await;
    assert_eq!(held, crate::support::declared_grants(&app, "support"), "the deleted role still grants");
    owner.delete(&app, &format!("/api/v1/roles/{auditor}")).await.assert_problem(404, "not_found");

    // A default role other than the owner's may go too; its members are left without it.
    let viewer = role_id(&app, owner, "viewer").await;
    assert_eq!(owner.delete(&app, &format!("/api/v1/roles/{viewer}")).await.status, 204);
    assert_eq!(my_permissions(&app, team.member("viewer")).await, json!({}));
}

#[tokio::test]
async fn another_organizations_role_is_not_found() {
    let app = TestApp::new().await;
    let acme_owner = app.signed_in_owner(app.org().await).await;
    let globex = app.organization("Globex").await;
    let globex_before = roles(&app, &globex.owner).await;
    let theirs =
        globex_before.iter().find(|role| role["key"] == "viewer").unwrap()["id"].as_str().unwrap().to_owned();
    let custom = create_role(&app, &globex.owner, json!({"name": "Globex only"})).await;
    let globex_before = roles(&app, &globex.owner).await;

    for id in [theirs.as_str(), custom["id"].as_str().unwrap(), &Uuid::now_v7().to_string()] {
        let path = format!("/api/v1/roles/{id}");
        acme_owner.patch(&app, &path, json!({"name": "Pwned"}), None).await.assert_problem(404, "not_found");
        acme_owner.patch(&app, &path, json!({"grants": {}}), None).await.assert_problem(404, "not_found");
        acme_owner.delete(&app, &path).await.assert_problem(404, "not_found");
        // Naming the other organization does not help either.
        let as_globex = acme_owner.clone().in_org(globex.id);
        as_globex.patch(&app, &path, json!({"name": "Pwned"}), None).await.assert_problem(404, "not_found");
        as_globex.delete(&app, &path).await.assert_problem(404, "not_found");
    }
    assert_eq!(roles(&app, &globex.owner).await, globex_before, "Globex's roles changed");
    assert!(app.audit(Some(globex.id), "role.update").await.is_empty());
    assert!(app.audit(Some(globex.id), "role.delete").await.is_empty());
    let listed = roles(&app, &acme_owner).await;
    assert!(listed.iter().all(|role| role["name"] != "Globex only"), "{listed:?}");
    // Same name, different organization: no conflict.
    create_role(&app, &acme_owner, json!({"name": "Globex only"})).await;

    let malformed = acme_owner.delete(&app, "/api/v1/roles/not-a-uuid").await;
    assert_eq!(malformed.status.as_u16() / 100, 4, "{}", malformed.text());
}

#[tokio::test]
async fn names_and_descriptions_may_be_exactly_as_long_as_documented() {
    // docs/apps/roles.md: a name is 1–64 printable characters (characters, not bytes, once
    // trimmed), a description at most 500. The other tests refuse longer ones; this one
    // keeps the limits from shrinking, or from being counted in bytes.
    let app = TestApp::new().await;
    let owner = app.signed_in_owner(app.org().await).await;
    let longest = "é".repeat(64);
    let created =
        create_role(&app, &owner, json!({"name": format!("  {longest}  "), "description": "ü".repeat(500)}))
            .await;
    assert_eq!(created["name"], longest.as_str(), "the name is kept, trimmed");
    assert_eq!(created["description"].as_str().unwrap().chars().count(), 500);

    let path = format!("/api/v1/roles/{}", created["id"].as_str().unwrap());
    let renamed = owner.patch(&app, &path, json!({"name": "x".repeat(64)}), None).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(renamed.json()["name"], "x".repeat(64));

    let before = roles(&app, &owner).await;
    let one_more = "é".repeat(65);
    owner
        .post(&app, "/api/v1/roles", json!({"name": one_more}))
        .await
        .assert_problem(422, "validation_failed");
    owner.patch(&app, &path, json!({"name": one_more}), None).await.assert_problem(422, "validation_failed");
    owner
        .patch(&app, &path, json!({"description": "ü".repeat(501)}), None)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(roles(&app, &owner).await, before, "a refused name or description changed a role");
}
