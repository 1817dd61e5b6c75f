//! `GET /api/v1/permissions`: every permission the apps of the build declare, for the roles
//! editor — readable by every member, not by strangers.

use baseops_test_support::{Client, TestApp};
use serde_json::Value;

#[tokio::test]
async fn every_member_reads_the_permissions_every_app_declares() {
    let app = TestApp::new().await;
    let team = app.team().await;
    let declared = serde_json::to_value(app.state().permissions().permissions()).unwrap();
    for (role, member) in &team.members {
        let listed = member.get(&app, "/api/v1/permissions").await;
        assert_eq!(listed.status, 200, "{role}: {}", listed.text());
        assert_eq!(listed.json(), declared, "{role} sees the registry in app order");
    }

    let listed = team.owner().get(&app, "/api/v1/permissions").await.json();
    let listed = listed.as_array().unwrap();
    let find = |name: &str| -> &Value {
        listed.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name} missing: {listed:?}"))
    };
    for app_name in ["roles", "members", "organizations", "audit", "leads", "tasks", "customers"] {
        assert!(
            listed.iter().any(|p| p["name"].as_str().unwrap().starts_with(&format!("{app_name}."))),
            "no {app_name}.* permission in {listed:?}"
        );
    }
    assert_eq!(find("roles.view")["scopable"], false);
    assert_eq!(find("roles.manage")["scopable"], false);
    assert_eq!(find("leads.edit")["scopable"], true, "a lead can be someone's own");
    assert!(find("roles.manage")["description"].as_str().is_some_and(|d| !d.is_empty()));
    let mut names: Vec<&str> = listed.iter().map(|p| p["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), listed.len(), "a permission is declared twice");
}

#[tokio::test]
async fn strangers_do_not_read_the_permissions() {
    let app = TestApp::new().await;
    Client::anonymous().get(&app, "/api/v1/permissions").await.assert_problem(401, "unauthenticated");
    Client::bearer("bo_forged").get(&app, "/api/v1/permissions").await.assert_problem(401, "unauthenticated");
}
