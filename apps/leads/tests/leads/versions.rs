//! Optimistic concurrency on the organization-wide settings: pipelines, stages and
//! assignment rules answer their `version` and take an optional `If-Match` on update. A
//! stale or unreadable one is 412 and changes nothing; without one the update applies as it
//! always did; another organization's record stays 404.

use baseops_test_support::{Client, TestApp};
use serde_json::{Value, json};

/// `If-Match` values that are no version the API hands out: unquoted, weak, a list, not digits.
const JUNK: [&str; 4] = ["2", "W/\"2\"", "\"2\", \"3\"", "\"x\""];

/// The item of a JSON array with this id.
fn by_id<'a>(items: &'a Value, id: &str) -> &'a Value {
    items.as_array().unwrap().iter().find(|item| item["id"] == id).unwrap_or_else(|| panic!("no {id}"))
}

/// `GET /leads/pipelines`.
async fn pipelines(app: &TestApp, member: &Client) -> Value {
    let response = member.get(app, "/api/v1/leads/pipelines").await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// A stage by name, from every pipeline's stages.
fn stage_named<'a>(pipelines: &'a Value, name: &str) -> &'a Value {
    let mut stages = pipelines.as_array().unwrap().iter().flat_map(|p| p["stages"].as_array().unwrap());
    stages.find(|stage| stage["name"] == name).unwrap_or_else(|| panic!("no stage {name}"))
}

/// Asserts that `PATCH path` with this raw `If-Match` value answers 412 `version_mismatch`.
async fn refused_with_if_match(app: &TestApp, member: &Client, path: &str, body: Value, if_match: &str) {
    let response = member.send(app, http::Method::PATCH, path, Some(body), &[("if-match", if_match)]).await;
    response.assert_problem(412, "version_mismatch");
}

#[tokio::test]
async fn a_pipeline_is_renamed_only_at_the_version_read() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let read = pipelines(&app, owner).await;
    let sales = read[0].clone();
    assert_eq!((sales["name"].as_str(), sales["version"].as_i64()), (Some("Sales"), Some(1)));
    let id = sales["id"].as_str().unwrap();
    let path = format!("/api/v1/leads/pipelines/{id}");

    let renamed = owner.patch(&app, &path, json!({"name": "Deals"}), Some(1)).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(renamed.header("etag"), Some("\"2\""));
    assert_eq!(by_id(&renamed.json(), id)["version"], 2);

    // Someone still holding version 1 learns of the rename instead of overwriting it.
    owner.patch(&app, &path, json!({"name": "Stale"}), Some(1)).await.assert_problem(412, "version_mismatch");
    for junk in JUNK {
        refused_with_if_match(&app, owner, &path, json!({"name": "Junk"}), junk).await;
    }
    let now = pipelines(&app, owner).await;
    assert_eq!(
        (by_id(&now, id)["name"].as_str(), by_id(&now, id)["version"].as_i64()),
        (Some("Deals"), Some(2))
    );

    // Without If-Match, as before: the change applies to whatever version is current.
    let plain = owner.patch(&app, &path, json!({"name": "Pipeline"}), None).await;
    assert_eq!(plain.status, 200, "{}", plain.text());
    assert_eq!(plain.header("etag"), Some("\"3\""));

    // Handing the default to another pipeline changes the former default too.
    let created = owner
        .post(&app, "/api/v1/leads/pipelines", json!({"name": "Partners", "stages": [{"name": "Intro"}]}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let partners =
        created.json().as_array().unwrap().iter().find(|p| p["name"] == "Partners").unwrap().clone();
    let partners_path = format!("/api/v1/leads/pipelines/{}", partners["id"].as_str().unwrap());
    let handed = owner.patch(&app, &partners_path, json!({"is_default": true}), Some(1)).await;
    assert_eq!(handed.header("etag"), Some("\"2\""), "{}", handed.text());
    assert_eq!(by_id(&handed.json(), id)["is_default"], false);
    assert_eq!(by_id(&handed.json(), id)["version"], 4);

    let globex = app.organization("Globex").await.owner;
    globex.patch(&app, &path, json!({"name": "Mine"}), Some(4)).await.assert_problem(404, "not_found");
    globex.patch(&app, &path, json!({"name": "Mine"}), None).await.assert_problem(404, "not_found");
    assert_eq!(by_id(&pipelines(&app, owner).await, id)["name"], "Pipeline");
}

#[tokio::test]
async fn a_stage_is_renamed_or_moved_only_at_the_version_read() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let read = pipelines(&app, owner).await;
    let contacted = stage_named(&read, "Contacted");
    assert_eq!((contacted["position"].as_i64(), contacted["version"].as_i64()), (Some(1), Some(1)));
    let id = contacted["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/leads/stages/{id}");

    let renamed = owner.patch(&app, &path, json!({"name": "Reached"}), Some(1)).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(renamed.header("etag"), Some("\"2\""));
    assert_eq!(stage_named(&renamed.json(), "Reached")["version"], 2);

    owner
        .patch(&app, &path, json!({"name": "Stale", "position": 0}), Some(1))
        .await
        .assert_problem(412, "version_mismatch");
    for junk in JUNK {
        refused_with_if_match(&app, owner, &path, json!({"name": "Junk"}), junk).await;
    }
    let now = pipelines(&app, owner).await;
    let reached = stage_named(&now, "Reached");
    assert_eq!((reached["position"].as_i64(), reached["version"].as_i64()), (Some(1), Some(2)));

    // Without If-Match, as before. The move shifts Qualified and Proposal up a place: their
    // places changed, so they move on a version too; the others stay where they were.
    let moved = owner.patch(&app, &path, json!({"position": 3}), None).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(moved.header("etag"), Some("\"3\""));
    let stages = moved.json()[0]["stages"].clone();
    let order: Vec<(&str, i64)> = stages
        .as_array()
        .unwrap()
        .iter()
        .map(|stage| (stage["name"].as_str().unwrap(), stage["version"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        order,
        [("New", 1), ("Qualified", 2), ("Proposal", 2), ("Reached", 3), ("Won", 1), ("Lost", 1)]
    );

    let globex = app.organization("Globex").await.owner;
    globex.patch(&app, &path, json!({"name": "Mine"}), Some(3)).await.assert_problem(404, "not_found");
    globex.patch(&app, &path, json!({"name": "Mine"}), None).await.assert_problem(404, "not_found");
    assert_eq!(stage_named(&pipelines(&app, owner).await, "Reached")["id"], id.as_str());
}

#[tokio::test]
async fn an_assignment_rule_changes_only_at_the_version_read() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let created = owner
        .post(&app, "/api/v1/leads/assignment-rules", json!({"name": "Web", "member_ids": [owner.user_id]}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let read = owner.get(&app, "/api/v1/leads/assignment-rules").await.json();
    assert_eq!(read[0]["version"], 1);
    let id = read[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/leads/assignment-rules/{id}");

    let renamed = owner.patch(&app, &path, json!({"name": "Round robin"}), Some(1)).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(renamed.header("etag"), Some("\"2\""));
    assert_eq!(by_id(&renamed.json(), &id)["version"], 2);

    owner
        .patch(&app, &path, json!({"name": "Stale", "active": false}), Some(1))
        .await
        .assert_problem(412, "version_mismatch");
    for junk in JUNK {
        refused_with_if_match(&app, owner, &path, json!({"active": false}), junk).await;
    }
    let now = owner.get(&app, "/api/v1/leads/assignment-rules").await.json();
    let rule = by_id(&now, &id);
    assert_eq!(
        (rule["name"].as_str(), rule["active"].as_bool(), rule["version"].as_i64()),
        (Some("Round robin"), Some(true), Some(2))
    );

    // The same values again change nothing and keep the version.
    let same = owner.patch(&app, &path, json!({"name": "Round robin"}), Some(2)).await;
    assert_eq!(same.header("etag"), Some("\"2\""), "{}", same.text());

    // Without If-Match, as before.
    let plain = owner.patch(&app, &path, json!({"active": false}), None).await;
    assert_eq!(plain.status, 200, "{}", plain.text());
    assert_eq!(plain.header("etag"), Some("\"3\""));

    let globex = app.organization("Globex").await.owner;
    globex.patch(&app, &path, json!({"name": "Mine"}), Some(3)).await.assert_problem(404, "not_found");
    globex.patch(&app, &path, json!({"name": "Mine"}), None).await.assert_problem(404, "not_found");
    assert_eq!(
        by_id(&owner.get(&app, "/api/v1/leads/assignment-rules").await.json(), &id)["name"],
        "Round robin"
    );
}
