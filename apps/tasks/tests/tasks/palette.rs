//! The command palette's task search (`GET /admin/search?q=`): word prefixes of titles, kept
//! by every write, within the caller's organization and reach.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

use crate::support::{create_task, id_of};

/// The titles of the tasks the palette finds for `q`.
async fn palette(app: &TestApp, person: &Client, q: &str) -> Vec<String> {
    let response = person.get(app, &format!("/admin/search?q={q}")).await;
    assert_eq!(response.status, 200, "{q}: {}", response.text());
    response.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|hit| hit["kind"] == "Task")
        .map(|hit| hit["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_palette_finds_tasks_by_title_word_prefixes() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let quarterly = create_task(&app, &owner, json!({"title": "Prepare the quarterly report"})).await;
    create_task(&app, &owner, json!({"title": "Quarter planning"})).await;
    create_task(&app, &other, json!({"title": "Quarterly secrets"})).await;

    assert_eq!(palette(&app, &person, "quarterl").await, ["Prepare the quarterly report"]);
    assert_eq!(palette(&app, &person, "REP%20quart").await, ["Prepare the quarterly report"], "any order");
    let mut both = palette(&app, &person, "quarter").await;
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(both.remove(0), "Quarter planning", "the exact word first");
    assert!(palette(&app, &person, "uarter").await.is_empty(), "prefixes, not infixes");
    assert!(palette(&app, &person, "%25%25").await.is_empty(), "% is no wildcard");
    assert!(palette(&app, &person, "__").await.is_empty(), "_ is no wildcard");

    let path = format!("/api/v1/tasks/{}", id_of(&quarterly));
    let renamed = owner.patch(&app, &path, json!({"title": "Prepare the annual report"}), Some(1)).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert!(palette(&app, &person, "quarterly").await.is_empty(), "the old title is gone");
    assert_eq!(palette(&app, &person, "annu").await, ["Prepare the annual report"]);
    assert_eq!(owner.delete(&app, &path).await.status, 204);
    assert!(palette(&app, &person, "annual").await.is_empty(), "a deleted task is gone");
}

#[tokio::test]
async fn own_scope_finds_only_own_tasks() {
    let app = TestApp::new().await;
    let manager = app.as_role("manager").await;
    let sales = app.as_role("sales").await;
    create_task(&app, &manager, json!({"title": "Zebra crossing"})).await;
    create_task(&app, &manager, json!({"title": "Zebra assigned", "assignees": [sales.user_id]})).await;
    create_task(&app, &sales, json!({"title": "Zebra mine"})).await;
    let seller = Client::logged_in(&app, &sales.email).await;
    let mut seen = palette(&app, &seller, "zebra").await;
    seen.sort();
    assert_eq!(seen, ["Zebra assigned", "Zebra mine"]);
}
