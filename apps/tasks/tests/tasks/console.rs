//! The tasks pages of the admin console: the list and a task's page through the same
//! selectors and rules as the API, and tasks in the command palette.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

use crate::support::create_task;

#[tokio::test]
async fn the_list_filters_and_a_task_has_its_page() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let mine = create_task(
        &app,
        &owner,
        json!({"title": "Call <Ada>", "description": "**Bold** move", "assignees": [owner.user_id]}),
    )
    .await;
    create_task(&app, &owner, json!({"title": "File the report"})).await;
    let hidden = create_task(&app, &other, json!({"title": "Their secret plan"})).await;
    let person = Client::logged_in(&app, &owner.email).await;

    let list = person.get(&app, "/admin/tasks").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let html = list.text();
    assert!(html.contains("Call &lt;Ada&gt;") && html.contains("File the report"), "{html}");
    assert!(!html.contains("secret plan"), "{html}");
    assert!(html.contains(">2 tasks<"), "counted: {html}");
    let assigned = person.get(&app, "/admin/tasks?mine=1").await.text();
    assert!(assigned.contains("Call &lt;Ada&gt;") && !assigned.contains("File the report"), "{assigned}");
    let searched = person.get(&app, "/admin/tasks?q=report").await.text();
    assert!(searched.contains("File the report") && !searched.contains("Call &lt;Ada&gt;"), "{searched}");

    let detail = person.get(&app, &format!("/admin/tasks/{}", mine["id"].as_str().unwrap())).await;
    assert_eq!(detail.status, 200);
    assert!(detail.text().contains("<strong>Bold</strong> move"), "Markdown rendered: {}", detail.text());
    let elsewhere = person.get(&app, &format!("/admin/tasks/{}", hidden["id"].as_str().unwrap())).await;
    assert_eq!(elsewhere.status, 404);

    let found = person.get(&app, "/admin/search?q=report").await.json();
    let tasks: Vec<_> =
        found["results"].as_array().unwrap().iter().filter(|hit| hit["kind"] == "Task").collect();
    assert_eq!(tasks.len(), 1, "{found}");
    assert_eq!(tasks[0]["title"], "File the report");
    assert_eq!(person.get(&app, "/admin/tasks?sort=sideways").await.status, 422);
}
