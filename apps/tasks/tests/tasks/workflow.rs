//! Every valid and invalid move of the default workflow, and an organization's own stages.

use baseops_test_support::TestApp;
use http::Method;
use serde_json::json;

use crate::support::{create_task, id_of, move_to, task};

const STAGES: [&str; 5] = ["todo", "in_progress", "in_review", "done", "cancelled"];

/// The path from `todo` to each stage, through valid moves.
fn path_to(stage: &str) -> &'static [&'static str] {
    match stage {
        "todo" => &[],
        "in_progress" => &["in_progress"],
        "in_review" => &["in_progress", "in_review"],
        "done" => &["in_progress", "in_review", "done"],
        "cancelled" => &["cancelled"],
        _ => unreachable!(),
    }
}

fn allowed(from: &str) -> &'static [&'static str] {
    match from {
        "todo" => &["in_progress", "cancelled"],
        "in_progress" => &["in_review", "cancelled"],
        "in_review" => &["done", "cancelled"],
        "done" | "cancelled" => &["todo"],
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn every_move_of_the_default_workflow_is_allowed_or_refused_with_the_allowed_ones() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    for from in STAGES {
        for to in STAGES.iter().filter(|to| **to != from) {
            let id = id_of(&create_task(&app, owner, json!({"title": format!("{from} to {to}")})).await);
            for step in path_to(from) {
                let response = move_to(&app, owner, &id, step).await;
                assert_eq!(response.status, 200, "{from}: {}", response.text());
            }
            let before = task(&app, owner, &id).await;
            assert_eq!(before["status"], from);
            assert_eq!(before["allowed_transitions"], json!(allowed(from)));
            let response = move_to(&app, owner, &id, to).await;
            if allowed(from).contains(to) {
                assert_eq!(response.status, 200, "{from} → {to}: {}", response.text());
                let after = response.json();
                assert_eq!(after["status"], *to);
                assert_eq!(after["completed_at"].is_string(), *to == "done", "completed_at follows done");
                assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
            } else {
                let problem = response.assert_problem(409, "invalid_transition");
                for stage in allowed(from) {
                    assert!(problem["detail"].as_str().unwrap().contains(stage), "{problem}");
                }
                assert_eq!(task(&app, owner, &id).await["status"], from, "nothing changed");
            }
        }
    }
    let unknown = create_task(&app, owner, json!({"title": "x"})).await;
    let response = move_to(&app, owner, &id_of(&unknown), "teleported").await;
    response.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn an_organization_renames_stages_and_adds_its_own_between_todo_and_done() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let current = owner.get(&app, "/api/v1/tasks/workflow").await;
    assert_eq!((current.status.as_u16(), current.header("etag")), (200, Some("\"0\"")));
    let stages = json!({"stages": [
        {"key": "todo", "name": "Backlog"},
        {"key": "in_progress", "name": "Doing"},
        {"key": "qa", "name": "QA"},
        {"key": "in_review", "name": "Review"},
        {"key": "done", "name": "Shipped"},
        {"key": "cancelled", "name": "Dropped"},
    ]});
    let put = |body: serde_json::Value, tag: &'static str| {
        let app = &app;
        async move {
            owner.send(app, Method::PUT, "/api/v1/tasks/workflow", Some(body), &[("if-match", tag)]).await
        }
    };
    let saved = put(stages.clone(), "\"0\"").await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert_eq!(saved.json()["transitions"]["in_progress"], json!(["qa", "cancelled"]));
    put(stages.clone(), "\"0\"").await.assert_problem(412, "version_mismatch");

    let id = id_of(&create_task(&app, owner, json!({"title": "Ship it"})).await);
    assert_eq!(move_to(&app, owner, &id, "in_progress").await.status, 200);
    move_to(&app, owner, &id, "in_review").await.assert_problem(409, "invalid_transition");
    let in_qa = move_to(&app, owner, &id, "qa").await.json();
    assert_eq!((in_qa["status"].as_str(), in_qa["status_name"].as_str()), (Some("qa"), Some("QA")));

    // A stage with tasks cannot go; the built-ins and their order cannot change.
    let without_qa = json!({"stages": [
        {"key": "todo", "name": "Backlog"}, {"key": "in_progress", "name": "Doing"},
        {"key": "in_review", "name": "Review"}, {"key": "done", "name": "Shipped"}, {"key": "cancelled", "name": "Dropped"},
    ]});
    put(without_qa, "\"1\"").await.assert_problem(409, "stage_in_use");
    let broken = json!({"stages": [{"key": "todo", "name": "A"}, {"key": "done", "name": "B"}, {"key": "cancelled", "name": "C"}]});
    put(broken, "\"1\"").await.assert_problem(422, "validation_failed");
    owner
        .send(&app, Method::PUT, "/api/v1/tasks/workflow", Some(stages), &[])
        .await
        .assert_problem(428, "precondition_required");
}
