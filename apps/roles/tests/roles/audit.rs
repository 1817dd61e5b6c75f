//! The audit trail of role changes: who created, edited, deleted or gave which role, in which
//! request, with the values before and after; refused and empty changes leave no record.

use baseops_test_support::TestApp;
use serde_json::json;

use crate::support::{create_role, role_id, set_member_roles};

#[tokio::test]
async fn role_changes_are_audited_with_their_actor_request_and_values() {
    let app = TestApp::new().await;
    let org = app.org().await;
    let owner = app.signed_in_owner(org).await;
    let actor = org.owner.user_id.to_string();

    let created =
        owner.post(&app, "/api/v1/roles", json!({"name": "Closer", "grants": {"leads.view": "own"}})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let events = app.audit(Some(org.id), "role.create").await;
    let event = &events[0];
    assert_eq!((event.entity_type.as_str(), event.entity_id.as_str()), ("role", id.as_str()));
    assert_eq!((event.actor_type.as_str(), event.actor_id.as_deref()), ("user", Some(actor.as_str())));
    assert_eq!(event.request_id, created.header("x-request-id").unwrap());
    assert_eq!(event.changes.get("name").unwrap().after, Some(json!("Closer")));
    assert_eq!(event.changes.get("grants").unwrap().after, Some(json!({"leads.view": "own"})));

    let path = format!("/api/v1/roles/{id}");
    let edited = owner
        .patch(
            &app,
            &path,
            json!({"name": "Senior closer", "description": "", "grants": {"leads.view": "all"}}),
            None,
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    let updates = app.audit(Some(org.id), "role.update").await;
    assert_eq!(updates.len(), 1);
    let update = &updates[0];
    assert_eq!(update.entity_id, id);
    assert_eq!(update.request_id, edited.header("x-request-id").unwrap());
    let name = update.changes.get("name").unwrap();
    assert_eq!(
        (name.before.clone(), name.after.clone()),
        (Some(json!("Closer")), Some(json!("Senior closer")))
    );
    let grants = update.changes.get("grants").unwrap();
    assert_eq!(
        (grants.before.clone(), grants.after.clone()),
        (Some(json!({"leads.view": "own"})), Some(json!({"leads.view": "all"})))
    );
    assert!(
        update.changes.get("description").is_none(),
        "an unchanged field is recorded: {:?}",
        update.changes
    );

    // Refused and empty edits leave no record.
    owner
        .patch(&app, &path, json!({"grants": {"no.such": "all"}}), None)
        .await
        .assert_problem(422, "validation_failed");
    owner.patch(&app, &path, json!({"name": "Manager"}), None).await.assert_problem(409, "role_name_taken");
    assert_eq!(owner.patch(&app, &path, json!({"name": "Senior closer"}), None).await.status, 200);
    assert_eq!(owner.patch(&app, &path, json!({}), None).await.status, 200);
    assert_eq!(app.audit(Some(org.id), "role.update").await.len(), 1);

    let sales = app.signed_in_member(org.id, "sales@acme.test", "sales").await;
    let membership = app.membership_id(&owner, &sales.email).await;
    let sales_role = role_id(&app, &owner, "sales").await;
    let given = set_member_roles(&app, &owner, &membership, &[&id]).await;
    assert_eq!(given.status, 204, "{}", given.text());
    let set = &app.audit(Some(org.id), "membership.roles_set").await[0];
    assert_eq!((set.entity_type.as_str(), set.entity_id.as_str()), ("membership", membership.as_str()));
    assert_eq!(set.actor_id.as_deref(), Some(actor.as_str()));
    let role_ids = set.changes.get("role_ids").unwrap();
    assert_eq!(
        (role_ids.before.clone(), role_ids.after.clone()),
        (Some(json!([sales_role])), Some(json!([id])))
    );

    let deleted = owner.delete(&app, &path).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let removed = &app.audit(Some(org.id), "role.delete").await;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].entity_id, id);
    assert_eq!(removed[0].request_id, deleted.header("x-request-id").unwrap());
    assert_eq!(removed[0].changes.get("name").unwrap().before, Some(json!("Senior closer")));
    assert_eq!(removed[0].changes.get("grants").unwrap().before, Some(json!({"leads.view": "all"})));
    let gone = removed[0].changes.get("name").unwrap().after.clone();
    assert!(gone.as_ref().is_none_or(serde_json::Value::is_null), "a deleted role has a name: {gone:?}");

    // Everything landed in Acme's chain, and the chain holds.
    assert!(app.audit(None, "role.create").await.is_empty());
    let report = baseops_audit::verify(app.state().db().read(), Some(&org.id.to_string())).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
}

#[tokio::test]
async fn refused_role_changes_leave_no_record() {
    let app = TestApp::new().await;
    let org = app.org().await;
    let owner = app.signed_in_owner(org).await;
    let viewer = app.signed_in_member(org.id, "viewer@acme.test", "viewer").await;
    let seeded = app.audit(Some(org.id), "role.create").await.len();
    let owner_role = role_id(&app, &owner, "owner").await;
    let me = app.membership_id(&owner, &owner.email).await;

    viewer.post(&app, "/api/v1/roles", json!({"name": "Sneaky"})).await.assert_problem(403, "forbidden");
    owner.post(&app, "/api/v1/roles", json!({"name": "Sales"})).await.assert_problem(409, "role_name_taken");
    owner
        .post(&app, "/api/v1/roles", json!({"name": "X", "grants": {"roles.view": "own"}}))
        .await
        .assert_problem(422, "validation_failed");
    owner.delete(&app, &format!("/api/v1/roles/{owner_role}")).await.assert_problem(409, "owner_role_fixed");
    set_member_roles(&app, &owner, &me, &[]).await.assert_problem(409, "last_owner");

    assert_eq!(app.audit(Some(org.id), "role.create").await.len(), seeded);
    for action in ["role.update", "role.delete", "membership.roles_set"] {
        assert!(app.audit(Some(org.id), action).await.is_empty(), "{action} recorded");
    }
    create_role(&app, &owner, json!({"name": "Allowed"})).await;
    assert_eq!(app.audit(Some(org.id), "role.create").await.len(), seeded + 1);
}
