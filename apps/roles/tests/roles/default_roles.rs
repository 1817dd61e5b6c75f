//! The default roles: seeded into every new organization (its own rows), with the grants the
//! roles app's rules and every app's declarations give them; what a member of each holds.

use baseops_core::{Acting, Actor, Origin};
use baseops_test_support::TestApp;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};

use crate::support::{declared_grants, my_permissions, role_id, roles};
use baseops_test_support::DEFAULT_ROLES;

#[tokio::test]
async fn each_new_organization_gets_the_default_roles_with_the_grants_the_apps_declare() {
    let app = TestApp::new().await;
    let acme = app.org().await;
    let globex = app.organization("Globex").await;
    let registry = app.state().permissions();
    let every_permission: Vec<&str> = registry.permissions().iter().map(|p| p.name).collect();

    let mut ids = Vec::new();
    for org in [acme, &globex] {
        let listed = roles(&app, &org.owner).await;
        assert_eq!(listed.len(), DEFAULT_ROLES.len(), "{listed:?}");
        for key in DEFAULT_ROLES {
            let role = listed.iter().find(|role| role["key"] == key).unwrap_or_else(|| panic!("no {key}"));
            let default = registry.default_role(key).unwrap();
            assert_eq!(
                (role["name"].as_str(), role["description"].as_str()),
                (Some(default.name), Some(default.description))
            );
            assert_eq!(role["grants"], declared_grants(&app, key), "{key}");
            ids.push(role["id"].as_str().unwrap().to_owned());
        }
        let grants = |key: &str| listed.iter().find(|role| role["key"] == key).unwrap()["grants"].clone();
        let all_of =
            |names: &[&str]| -> Value { names.iter().map(|name| (name.to_string(), json!("all"))).collect() };
        assert_eq!(grants("owner"), all_of(&every_permission), "the owner holds every permission");
        let but_deleting: Vec<&str> =
            every_permission.iter().copied().filter(|name| *name != "organizations.delete").collect();
        assert_eq!(
            grants("admin"),
            all_of(&but_deleting),
            "the admin holds all but deleting the organization"
        );
        let reads: Vec<&str> = every_permission
            .iter()
            .copied()
            .filter(|name| name.ends_with(".view") && *name != "audit.view")
            .collect();
        assert_eq!(grants("viewer"), all_of(&reads), "the viewer reads everything but the audit trail");
        assert_eq!(
            app.audit(Some(org.id), "role.create").await.len(),
            DEFAULT_ROLES.len(),
            "each seeded role is audited"
        );
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2 * DEFAULT_ROLES.len(), "organizations share role rows");
}

#[tokio::test]
async fn a_member_of_each_default_role_holds_what_it_grants() {
    let app = TestApp::new().await;
    let team = app.team().await;
    for (role, member) in &team.members {
        assert_eq!(my_permissions(&app, member).await, declared_grants(&app, role), "{role}");
    }

    // What the apps grant sales: their own leads and tasks, every customer and colleague;
    // nothing about roles, the audit trail or the organization.
    let sales = my_permissions(&app, team.member("sales")).await;
    for (permission, scope) in [
        ("leads.view", "own"),
        ("leads.create", "own"),
        ("leads.edit", "own"),
        ("tasks.view", "own"),
        ("tasks.comment", "own"),
        ("customers.view", "all"),
        ("members.view", "all"),
    ] {
        assert_eq!(sales[permission], scope, "{permission}: {sales}");
    }
    for absent in [
        "roles.view",
        "roles.manage",
        "audit.view",
        "leads.delete",
        "leads.import",
        "members.invite",
        "organizations.edit",
    ] {
        assert!(sales.get(absent).is_none(), "sales holds {absent}: {sales}");
    }
    let manager = my_permissions(&app, team.member("manager")).await;
    for permission in ["roles.view", "audit.view", "members.invite", "leads.delete", "tasks.assign"] {
        assert_eq!(manager[permission], "all", "{permission}: {manager}");
    }
    assert!(manager.get("roles.manage").is_none(), "{manager}");
}

#[tokio::test]
async fn seeding_again_adds_what_is_missing_and_keeps_the_organizations_edits() {
    let app = TestApp::new().await;
    let acme = app.org().await;
    let owner = app.signed_in_owner(acme).await;
    let sales = role_id(&app, &owner, "sales").await;
    let renamed = owner
        .patch(
            &app,
            &format!("/api/v1/roles/{sales}"),
            json!({"name": "Account executives", "grants": {}}),
            None,
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let viewer = role_id(&app, &owner, "viewer").await;
    assert_eq!(owner.delete(&app, &format!("/api/v1/roles/{viewer}")).await.status, 204);

    // As `baseops seed-roles` does after an upgrade.
    let actor = Actor::System { name: "test".into() };
    let origin = Origin::internal();
    let txn = app.state().db().write().begin().await.unwrap();
    let seeded = baseops_roles::role_seed_defaults(
        &txn,
        Acting { actor: &actor, origin: &origin },
        acme.id,
        app.state().permissions(),
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();

    let listed = roles(&app, &owner).await;
    assert_eq!(listed.len(), DEFAULT_ROLES.len(), "{listed:?}");
    let edited = listed.iter().find(|role| role["key"] == "sales").unwrap();
    assert_eq!(
        (edited["id"].as_str(), edited["name"].as_str()),
        (Some(sales.as_str()), Some("Account executives"))
    );
    assert_eq!(edited["grants"], json!({}), "seeding restored the grants an organization removed");
    let restored = listed.iter().find(|role| role["key"] == "viewer").unwrap();
    assert_ne!(restored["id"], viewer.as_str());
    assert_eq!(restored["grants"], declared_grants(&app, "viewer"));
    assert_eq!(seeded.len(), DEFAULT_ROLES.len());
    assert_eq!(seeded["sales"].to_string(), sales);
}
