//! Permissions per default role, own and all scopes, and the tenant boundary.

use baseops_test_support::TestApp;
use http::Method;
use serde_json::json;

use crate::support::{create_task, id_of, task};

#[tokio::test]
async fn default_roles_see_and_change_own_or_all_tasks() {
    let app = TestApp::new().await;
    let acme = app.org().await;
    let manager = app.as_role("manager").await;
    let sales = app.as_role("sales").await;
    let colleague = app.as_role("sales").await;
    let viewer = app.as_role("viewer").await;
    let accountant = app.as_role("accountant").await;

    let managers = create_task(&app, &manager, json!({"title": "Quarterly plan"})).await;
    let assigned =
        create_task(&app, &manager, json!({"title": "Call Ada", "assignees": [sales.user_id]})).await;
    let saless = create_task(&app, &sales, json!({"title": "My follow-up"})).await;
    let (managers, assigned, saless) = (id_of(&managers), id_of(&assigned), id_of(&saless));

    // Own scope: what the sales user created or is assigned to, nothing else — not even by id.
    let seen = |body: serde_json::Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
    };
    let mut own = seen(sales.get(&app, "/api/v1/tasks").await.json());
    own.sort();
    let mut expected = vec![assigned.clone(), saless.clone()];
    expected.sort();
    assert_eq!(own, expected);
    sales.get(&app, &format!("/api/v1/tasks/{managers}")).await.assert_problem(404, "not_found");
    assert_eq!(seen(manager.get(&app, "/api/v1/tasks").await.json()).len(), 3, "all scope");
    assert_eq!(seen(viewer.get(&app, "/api/v1/tasks").await.json()).len(), 3, "viewers read everything");
    assert!(seen(colleague.get(&app, "/api/v1/tasks").await.json()).is_empty());
    assert_eq!(seen(accountant.get(&app, "/api/v1/tasks").await.json()).len(), 0);

    // Editing: own tasks for sales, none for viewers.
    let path = format!("/api/v1/tasks/{assigned}");
    assert_eq!(sales.patch(&app, &path, json!({"priority": "high"}), Some(1)).await.status, 200);
    viewer.patch(&app, &path, json!({"priority": "low"}), Some(2)).await.assert_problem(403, "forbidden");
    viewer.post(&app, "/api/v1/tasks", json!({"title": "x"})).await.assert_problem(403, "forbidden");
    accountant.post(&app, "/api/v1/tasks", json!({"title": "x"})).await.assert_problem(403, "forbidden");

    // Assigning others needs tasks.assign; sales may assign only themselves.
    let response =
        sales.patch(&app, &path, json!({"assignees": [sales.user_id, colleague.user_id]}), Some(2)).await;
    response.assert_problem(403, "assign_forbidden");
    let response =
        sales.post(&app, "/api/v1/tasks", json!({"title": "x", "assignees": [colleague.user_id]})).await;
    response.assert_problem(403, "assign_forbidden");
    let response =
        sales.post(&app, "/api/v1/tasks", json!({"title": "mine", "assignees": [sales.user_id]})).await;
    assert_eq!(response.status, 201, "{}", response.text());
    let response =
        manager.patch(&app, &path, json!({"assignees": [sales.user_id, colleague.user_id]}), Some(2)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(colleague.get(&app, &path).await.status, 200, "assigned now, so visible");

    // Comments: within scope.
    let comment = json!({"body": "On it"});
    assert_eq!(sales.post(&app, &format!("{path}/comments"), comment.clone()).await.status, 201);
    viewer.post(&app, &format!("{path}/comments"), comment).await.assert_problem(403, "forbidden");

    // Deleting: sales cannot, the manager can; an owner too.
    sales.delete(&app, &format!("/api/v1/tasks/{saless}")).await.assert_problem(403, "forbidden");
    assert_eq!(manager.delete(&app, &format!("/api/v1/tasks/{saless}")).await.status, 204);
    assert_eq!(acme.owner.delete(&app, &format!("/api/v1/tasks/{managers}")).await.status, 204);

    // Editing the workflow takes tasks.edit with scope all.
    let stages = acme.owner.get(&app, "/api/v1/tasks/workflow").await.json();
    let body = json!({"stages": stages["stages"]});
    let response = sales
        .send(&app, Method::PUT, "/api/v1/tasks/workflow", Some(body.clone()), &[("if-match", "\"0\"")])
        .await;
    response.assert_problem(403, "forbidden");
    let response =
        manager.send(&app, Method::PUT, "/api/v1/tasks/workflow", Some(body), &[("if-match", "\"0\"")]).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn another_organizations_tasks_do_not_exist_for_you() {
    let app = TestApp::new().await;
    let acme = app.org().await;
    let globex = app.organization("Globex").await;
    let id = id_of(&create_task(&app, &acme.owner, json!({"title": "Acme secret"})).await);
    let intruder = &globex.owner;
    let path = format!("/api/v1/tasks/{id}");
    intruder.get(&app, &path).await.assert_problem(404, "not_found");
    intruder.patch(&app, &path, json!({"title": "mine now"}), Some(1)).await.assert_problem(404, "not_found");
    intruder.delete(&app, &path).await.assert_problem(404, "not_found");
    intruder
        .post(&app, &format!("{path}/comments"), json!({"body": "hi"}))
        .await
        .assert_problem(404, "not_found");
    intruder.get(&app, &format!("{path}/activity")).await.assert_problem(404, "not_found");
    intruder.get(&app, &format!("{path}/attachments")).await.assert_problem(404, "not_found");
    let bulk =
        intruder.post(&app, "/api/v1/tasks/bulk/status", json!({"ids": [id], "status": "cancelled"})).await;
    bulk.assert_problem(422, "validation_failed");
    assert!(intruder.get(&app, "/api/v1/tasks").await.json()["items"].as_array().unwrap().is_empty());
    // Nor can another organization's tasks become a parent, nor its people assignees.
    let response = intruder.post(&app, "/api/v1/tasks", json!({"title": "child", "parent_id": id})).await;
    response.assert_problem(422, "validation_failed");
    let response =
        acme.owner.post(&app, "/api/v1/tasks", json!({"title": "x", "assignees": [intruder.user_id]})).await;
    response.assert_problem(422, "validation_failed");
    assert_eq!(task(&app, &acme.owner, &id).await["title"], "Acme secret");
}
