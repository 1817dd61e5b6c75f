//! Pipelines, stages, moves between them, the board.

use baseops_test_support::TestApp;
use serde_json::json;

use crate::support::{create_lead, stages};

#[tokio::test]
async fn leads_move_through_the_pipeline_with_time_in_stage_and_final_states() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let sales = app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let stage = stages(&app, &owner).await;
    assert_eq!(stage.len(), 6);
    let lead = create_lead(&app, &sales, json!({"first_name": "Mover", "value_amount": 5000})).await;
    let id = lead["id"].as_str().unwrap();
    assert_eq!(lead["stage_id"], stage["New"].as_str());
    let path = format!("/api/v1/leads/{id}/stage");

    let moved = sales.post(&app, &path, json!({"stage_id": stage["Contacted"]})).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(moved.json()["version"], 2);
    sales
        .post(&app, &path, json!({"stage_id": stage["Lost"]}))
        .await
        .assert_problem(422, "validation_failed");
    let lost =
        sales.post(&app, &path, json!({"stage_id": stage["Lost"], "lost_reason": "budget"})).await.json();
    assert_eq!((lost["status"].as_str(), lost["lost_reason"].as_str()), (Some("lost"), Some("budget")));

    // Lost is final: sales cannot reopen, a manager (leads.reopen) can.
    sales
        .post(&app, &path, json!({"stage_id": stage["Qualified"]}))
        .await
        .assert_problem(403, "reopen_not_allowed");
    let manager = app.member_with_email(owner.organization_id, "manager@acme.test", "manager").await;
    let reopened = manager.post(&app, &path, json!({"stage_id": stage["Qualified"]})).await.json();
    assert_eq!((reopened["status"].as_str(), reopened["lost_reason"].is_null()), (Some("open"), true));
    let stale = manager
        .send(
            &app,
            http::Method::POST,
            &path,
            Some(json!({"stage_id": stage["Won"]})),
            &[("if-match", "\"1\"")],
        )
        .await;
    stale.assert_problem(412, "version_mismatch");
    let won = manager.post(&app, &path, json!({"stage_id": stage["Won"]})).await.json();
    assert_eq!(won["status"], "won");

    let timeline = sales.get(&app, &format!("/api/v1/leads/{id}/activities")).await.json();
    let moves: Vec<&serde_json::Value> =
        timeline["items"].as_array().unwrap().iter().filter(|a| a["kind"] == "stage_change").collect();
    assert_eq!(moves.len(), 4);
    assert_eq!(moves[0]["data"]["status"], "won", "newest first");
    assert!(moves.iter().all(|m| m["data"]["time_in_stage_secs"].as_i64().is_some_and(|secs| secs >= 0)));
    assert_eq!(moves[2]["data"]["lost_reason"], "budget");

    let board = owner.get(&app, "/api/v1/leads/board").await.json();
    let won_column = board["stages"].as_array().unwrap().iter().find(|s| s["name"] == "Won").unwrap();
    assert_eq!(won_column["count"], 1);
    assert_eq!(won_column["totals"], json!([{"currency": "EUR", "amount": 5000}]));
}

#[tokio::test]
async fn pipelines_and_stages_are_editable_by_managers_only() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let sales = app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let body = json!({"name": "Partners", "stages": [{"name": "Intro"}, {"name": "Signed", "kind": "won"}]});
    sales.post(&app, "/api/v1/leads/pipelines", body.clone()).await.assert_problem(403, "forbidden");
    let created = owner.post(&app, "/api/v1/leads/pipelines", body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.text());
    owner.post(&app, "/api/v1/leads/pipelines", body).await.assert_problem(409, "name_taken");
    owner
        .post(
            &app,
            "/api/v1/leads/pipelines",
            json!({"name": "Empty", "stages": [{"name": "Won", "kind": "won"}]}),
        )
        .await
        .assert_problem(422, "validation_failed");
    let pipelines = created.json();
    let partners = pipelines.as_array().unwrap().iter().find(|p| p["name"] == "Partners").unwrap();
    let intro = partners["stages"][0]["id"].as_str().unwrap();
    let lead = create_lead(&app, &owner, json!({"first_name": "P", "stage_id": intro})).await;
    assert_eq!(lead["pipeline_id"], partners["id"]);
    owner.delete(&app, &format!("/api/v1/leads/stages/{intro}")).await.assert_problem(409, "stage_in_use");
    let added = owner
        .post(
            &app,
            &format!("/api/v1/leads/pipelines/{}/stages", partners["id"].as_str().unwrap()),
            json!({"name": "Demo", "position": 0}),
        )
        .await;
    assert_eq!(added.status, 201);
    let partners = added.json().as_array().unwrap().iter().find(|p| p["name"] == "Partners").unwrap().clone();
    let names: Vec<&str> =
        partners["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Demo", "Intro", "Signed"]);
    let board = owner
        .get(&app, &format!("/api/v1/leads/board?pipeline_id={}", partners["id"].as_str().unwrap()))
        .await;
    assert_eq!(board.json()["stages"][1]["count"], 1);
}

/// Making pipelines the default at the same time leaves exactly one default: the database
/// holds it (`leads_0003_one_default_pipeline`), and a request that lost the race is told so.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pipelines_made_default_at_once_leave_exactly_one_default() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let owner = app.organization("Acme").await.owner;
    let mut ids = Vec::new();
    for n in 0..12 {
        let body = json!({"name": format!("Line {n}"), "stages": [{"name": "Open"}, {"name": "Won", "kind": "won"}]});
        let created = owner.post(&app, "/api/v1/leads/pipelines", body).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let listed = created.json();
        let id = listed.as_array().unwrap().iter().find(|p| p["name"] == format!("Line {n}")).unwrap()["id"]
            .clone();
        ids.push(id.as_str().unwrap().to_owned());
    }
    let mut race = tokio::task::JoinSet::new();
    for id in ids {
        let (app, owner) = (app.clone(), owner.clone());
        race.spawn(async move {
            owner
                .patch(&app, &format!("/api/v1/leads/pipelines/{id}"), json!({"is_default": true}), None)
                .await
        });
    }
    for answer in race.join_all().await {
        if answer.status != 200 {
            answer.assert_problem(409, "default_changed");
        }
    }
    let pipelines = owner.get(&app, "/api/v1/leads/pipelines").await.json();
    let defaults = pipelines.as_array().unwrap().iter().filter(|p| p["is_default"] == true).count();
    assert_eq!(defaults, 1, "{pipelines}");
}
