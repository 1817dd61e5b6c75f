//! Bad input gets a clear 4xx and changes nothing.

use axum::body::Body;
use baseops_test_support::TestApp;
use http::Method;
use serde_json::json;

use crate::support::{create_task, id_of, task};

#[tokio::test]
async fn malformed_wrong_huge_and_hostile_input_is_refused_cleanly() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;

    let post = |media_type: &str, body: &'static str| {
        let request = owner.request(Method::POST, "/api/v1/tasks", &[("content-type", media_type)]);
        app.send(request.body(Body::from(body)).unwrap())
    };
    post("application/json", "{\"title\": ").await.assert_problem(400, "malformed_json");
    post("text/plain", "title").await.assert_problem(415, "unsupported_media_type");

    let cases = [
        json!({"title": ""}),
        json!({"title": "x".repeat(201)}),
        json!({"title": 42}),
        json!({"title": "ok", "priority": "critical"}),
        json!({"title": "ok", "admin": true}),
        json!({"title": "ok", "description": "x".repeat(20_001)}),
        json!({"title": "ok", "labels": (0..21).map(|n| n.to_string()).collect::<Vec<_>>()}),
        json!({"title": "ok", "labels": ["a,b"]}),
        json!({"title": "ok", "estimate_minutes": -5}),
        json!({"title": "ok", "related_type": "lead"}),
        json!({"title": "ok", "related_type": "Lead; DROP TABLE tasks", "related_id": uuid::Uuid::now_v7()}),
        json!({"title": "ok", "assignees": [uuid::Uuid::now_v7()]}),
        json!({"title": "ok", "parent_id": uuid::Uuid::now_v7()}),
        json!({"title": "ok", "due_at": "tomorrow"}),
        json!({"title": "ok", "due_at": "2030-01-01T00:00:00Z", "recurrence": {"frequency": "weekly", "weekdays": [9]}}),
        json!({"title": "tab\there"}),
    ];
    for body in cases {
        let response = owner.post(&app, "/api/v1/tasks", body.clone()).await;
        assert_eq!(response.status, 422, "{body}: {}", response.text());
        response.assert_problem(422, "validation_failed");
    }
    let listed = owner.get(&app, "/api/v1/tasks").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert!(listed.json()["items"].as_array().unwrap().is_empty(), "nothing was created");

    let hostile = "'; DROP TABLE tasks; -- <img src=x onerror=alert(1)> 𝔘𝔫𝔦𝔠𝔬𝔡𝔢";
    let created = create_task(&app, owner, json!({"title": hostile, "description": hostile})).await;
    assert_eq!(created["title"], hostile);
    assert!(!created["description_html"].as_str().unwrap().contains("<img"));
    let encoded = "%27%3B%20DROP%20TABLE%20tasks%3B%20--";
    let found = owner.get(&app, &format!("/api/v1/tasks?q={encoded}")).await;
    assert_eq!(found.status, 200, "{}", found.text());
    assert_eq!(found.json()["items"].as_array().unwrap().len(), 1);

    for query in [
        "limit=0",
        "limit=201",
        "assignee=someone",
        "sort=sideways",
        "overdue=maybe",
        "due_before=soon",
        "extra=1",
    ] {
        let response = owner.get(&app, &format!("/api/v1/tasks?{query}")).await;
        assert!(matches!(response.status.as_u16(), 400 | 422), "{query}: {}", response.text());
    }
    owner.get(&app, "/api/v1/tasks?cursor=bm9wZQ").await.assert_problem(400, "invalid_cursor");
    let malformed = owner.get(&app, "/api/v1/tasks/not-a-uuid").await;
    assert_eq!(malformed.status, 400, "an id that is no UUID: {}", malformed.text());
    let path = format!("/api/v1/tasks/{}", id_of(&created));
    owner
        .patch(&app, &path, json!({"status": null, "title": null, "due_at": "never"}), Some(1))
        .await
        .assert_problem(422, "validation_failed");
    owner
        .patch(&app, &path, json!({"related_id": uuid::Uuid::now_v7()}), Some(1))
        .await
        .assert_problem(422, "validation_failed");
    let cleared = owner.patch(&app, &path, json!({"description": "", "due_at": null}), Some(1)).await;
    assert_eq!(cleared.status, 200, "{}", cleared.text());
    assert_eq!(task(&app, owner, &id_of(&created)).await["version"], 2);

    let parent = create_task(&app, owner, json!({"title": "parent"})).await;
    let child = create_task(&app, owner, json!({"title": "child", "parent_id": id_of(&parent)})).await;
    owner
        .post(&app, "/api/v1/tasks", json!({"title": "grandchild", "parent_id": id_of(&child)}))
        .await
        .assert_problem(422, "validation_failed");
    owner
        .delete(&app, &format!("/api/v1/tasks/{}", id_of(&parent)))
        .await
        .assert_problem(409, "has_subtasks");
}
