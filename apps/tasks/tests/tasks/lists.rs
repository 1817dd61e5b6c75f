//! Lists: filters, every sort with cursor pagination, the board, and bulk changes.

use std::collections::BTreeSet;

use baseops_test_support::{Client, TestApp};
use serde_json::{Value, json};

use crate::support::{create_task, id_of, move_to, task};

/// The ids of the tasks `person` sees with this query, in order.
async fn ids(person: &Client, app: &TestApp, query: &str) -> Vec<String> {
    let response = person.get(app, &format!("/api/v1/tasks?{query}")).await;
    assert_eq!(response.status, 200, "{query}: {}", response.text());
    response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_sort_pages_through_all_tasks_once_in_order() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let priorities = ["low", "urgent", "normal", "high", "urgent", "low", "normal"];
    let mut created = Vec::new();
    for (n, priority) in priorities.iter().enumerate() {
        let due = if n % 3 == 0 { Value::Null } else { json!(format!("2030-01-0{}T10:00:00Z", 7 - n % 5)) };
        let body = json!({"title": format!("task {n}"), "priority": priority, "due_at": due});
        created.push(id_of(&create_task(&app, owner, body).await));
    }
    // Two older tasks change last (the oldest last of all), so the order of changes differs
    // from the order of creation and an `updated` sort that sorted by creation shows.
    for id in [&created[2], &created[0]] {
        let path = format!("/api/v1/tasks/{id}");
        assert_eq!(owner.patch(&app, &path, json!({"title": "changed"}), Some(1)).await.status, 200);
    }
    let changed = |t: &Value| {
        let at = chrono::DateTime::parse_from_rfc3339(t["updated_at"].as_str().unwrap()).unwrap();
        (at, t["id"].as_str().unwrap().to_owned())
    };
    for sort in ["-created", "created", "due", "-due", "-priority", "priority", "-updated", "updated"] {
        let mut seen: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/tasks?limit=2&sort={sort}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page = owner.get(&app, &path).await;
            assert_eq!(page.status, 200, "{path}: {}", page.text());
            let page = page.json();
            seen.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let unique: BTreeSet<&str> = seen.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!((seen.len(), unique.len()), (7, 7), "{sort}: every task once");
        let rank =
            |t: &Value| ["low", "normal", "high", "urgent"].iter().position(|p| *p == t["priority"]).unwrap();
        for pair in seen.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let ordered = match sort {
                "-created" => a["id"].as_str() > b["id"].as_str(),
                "created" => a["id"].as_str() < b["id"].as_str(),
                "-updated" => changed(a) > changed(b),
                "updated" => changed(a) < changed(b),
                "-priority" => rank(a) >= rank(b),
                "priority" => rank(a) <= rank(b),
                "due" => {
                    b["due_at"].is_null()
                        || (a["due_at"].is_string() && a["due_at"].as_str() <= b["due_at"].as_str())
                }
                "-due" => {
                    b["due_at"].is_null()
                        || (a["due_at"].is_string() && a["due_at"].as_str() >= b["due_at"].as_str())
                }
                _ => unreachable!(),
            };
            assert!(ordered, "{sort}: {} before {}", a, b);
        }
        if sort == "updated" {
            assert_eq!(seen[6]["id"], created[0].as_str(), "the task changed last comes last");
        }
    }
    let page = owner.get(&app, "/api/v1/tasks?limit=2&sort=due").await.json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let response = owner.get(&app, &format!("/api/v1/tasks?sort=-priority&cursor={cursor}")).await;
    response.assert_problem(400, "invalid_cursor");
}

#[tokio::test]
async fn filters_narrow_the_list_and_the_board_counts_by_stage() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let helper = app.as_role("manager").await;
    // A task links to a record of another app of the build, which must exist: a real lead.
    let lead = owner.post(&app, "/api/v1/leads", json!({"last_name": "Lovelace"})).await;
    assert_eq!(lead.status, 201, "{}", lead.text());
    let lead = id_of(&lead.json());
    let overdue = create_task(
        &app,
        owner,
        json!({"title": "Invoice Globex", "due_at": "2020-01-01T00:00:00Z", "labels": ["Finance"]}),
    )
    .await;
    let linked = create_task(&app, owner, json!({"title": "Call the lead", "description": "About 100% discount", "related_type": "lead", "related_id": lead, "assignees": [helper.user_id]}))
        .await;
    let future = create_task(
        &app,
        owner,
        json!({"title": "Plan offsite", "due_at": "2031-05-01T00:00:00Z", "priority": "urgent"}),
    )
    .await;
    let child = create_task(&app, owner, json!({"title": "Book venue", "parent_id": id_of(&future)})).await;
    assert_eq!(move_to(&app, owner, &id_of(&future), "in_progress").await.status, 200);

    assert_eq!(ids(owner, &app, "overdue=true").await, [id_of(&overdue)]);
    assert_eq!(ids(owner, &app, "label=finance").await, [id_of(&overdue)]);
    assert_eq!(ids(owner, &app, &format!("related_type=lead&related_id={lead}")).await, [id_of(&linked)]);
    assert_eq!(ids(owner, &app, &format!("assignee={}", helper.user_id)).await, [id_of(&linked)]);
    assert_eq!(ids(&helper, &app, "assignee=me").await, [id_of(&linked)]);
    assert_eq!(ids(owner, &app, "q=100%25").await, [id_of(&linked)], "% is literal");
    assert_eq!(ids(owner, &app, "q=INVOICE").await, [id_of(&overdue)], "case-insensitive");
    assert_eq!(ids(owner, &app, "status=in_progress").await, [id_of(&future)]);
    assert_eq!(ids(owner, &app, "priority=urgent").await, [id_of(&future)]);
    assert_eq!(ids(owner, &app, &format!("parent_id={}", id_of(&future))).await, [id_of(&child)]);
    assert_eq!(ids(owner, &app, "due_after=2030-01-01T00:00:00Z").await, [id_of(&future)]);
    assert_eq!(ids(owner, &app, "due_before=2030-01-01T00:00:00Z").await, [id_of(&overdue)]);
    assert_eq!(ids(owner, &app, "status=todo,in_progress&q=plan").await, [id_of(&future)]);

    let detail = task(&app, owner, &id_of(&future)).await;
    assert_eq!(detail["subtasks"][0]["id"], id_of(&child).as_str());

    let board = owner.get(&app, "/api/v1/tasks/board?limit=1").await.json();
    let columns = board["columns"].as_array().unwrap();
    let keys: Vec<&str> = columns.iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(keys, ["todo", "in_progress", "in_review", "done", "cancelled"]);
    assert_eq!((columns[0]["count"].as_u64(), columns[0]["tasks"].as_array().unwrap().len()), (Some(3), 1));
    assert_eq!(columns[1]["count"], 1);
}

#[tokio::test]
async fn bulk_changes_are_all_or_nothing() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let helper = app.as_role("sales").await;
    let a = id_of(&create_task(&app, owner, json!({"title": "a"})).await);
    let b = id_of(&create_task(&app, owner, json!({"title": "b"})).await);
    let done = id_of(&create_task(&app, owner, json!({"title": "c"})).await);
    let cancelled =
        owner.post(&app, "/api/v1/tasks/bulk/status", json!({"ids": [done], "status": "cancelled"})).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text());

    let refused = owner
        .post(&app, "/api/v1/tasks/bulk/status", json!({"ids": [a, b, done], "status": "in_progress"}))
        .await;
    let problem = refused.assert_problem(409, "invalid_transition");
    assert!(problem["detail"].as_str().unwrap().contains(&done), "names the task: {problem}");
    assert_eq!(task(&app, owner, &a).await["status"], "todo", "nothing moved");

    let moved =
        owner.post(&app, "/api/v1/tasks/bulk/status", json!({"ids": [a, b], "status": "in_progress"})).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(moved.json()["changed"].as_array().unwrap().len(), 2);
    let assigned =
        owner.post(&app, "/api/v1/tasks/bulk/assign", json!({"ids": [a, b], "add": [helper.user_id]})).await;
    assert_eq!(assigned.status, 200, "{}", assigned.text());
    assert_eq!(task(&app, owner, &b).await["assignees"], json!([helper.user_id]));
    let too_many: Vec<uuid::Uuid> = (0..201).map(|_| uuid::Uuid::now_v7()).collect();
    let response =
        owner.post(&app, "/api/v1/tasks/bulk/status", json!({"ids": too_many, "status": "done"})).await;
    response.assert_problem(422, "validation_failed");
}
