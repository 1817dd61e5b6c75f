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

#[tokio::test]
async fn home_shows_a_person_their_open_tasks_due_soonest_and_how_many_are_overdue() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let me = owner.user_id;
    let late = create_task(
        &app,
        &owner,
        json!({"title": "Late report", "assignees": [me], "due_at": "2020-01-01T09:00:00Z"}),
    )
    .await;
    create_task(
        &app,
        &owner,
        json!({"title": "Next review", "assignees": [me], "due_at": "2099-01-01T09:00:00Z"}),
    )
    .await;
    create_task(&app, &owner, json!({"title": "Someday idea", "assignees": [me]})).await;
    let dropped = create_task(&app, &owner, json!({"title": "Dropped work", "assignees": [me]})).await;
    let moved = crate::support::move_to(&app, &owner, dropped["id"].as_str().unwrap(), "cancelled").await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    create_task(&app, &owner, json!({"title": "Nobody's chore"})).await;

    let person = Client::logged_in(&app, &owner.email).await;
    let html = person.get(&app, "/admin/work").await.text();
    let card = &html[html.find(">Your tasks<").expect("the tasks card")..];
    let card = &card[..card.find("</section>").unwrap()];
    assert!(card.contains("<strong>3</strong> open"), "{card}");
    assert!(card.contains("class=\"warn\"><strong>1</strong> overdue"), "{card}");
    assert!(!card.contains("Dropped work") && !card.contains("chore"), "{card}");
    let order: Vec<_> =
        ["Late report", "Next review", "Someday idea"].iter().map(|t| card.find(t).unwrap()).collect();
    assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "due soonest first, undated last: {card}");
    assert!(card.contains(&format!("&#x2f;admin&#x2f;tasks&#x2f;{}", late["id"].as_str().unwrap())));

    // The figures link to lists that show what they count.
    let overdue = person.get(&app, "/admin/tasks?mine=1&overdue=1&sort=due").await.text();
    assert!(overdue.contains("Late report") && !overdue.contains("Next review"), "{overdue}");
    let open = person.get(&app, "/admin/tasks?mine=1&open=1&sort=due").await.text();
    assert!(open.contains(">3 tasks<") && !open.contains("Dropped work"), "{open}");
}

#[tokio::test]
async fn past_a_full_window_the_work_card_says_its_counts_are_lower_bounds() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    for n in 0..501 {
        create_task(&app, &owner, json!({"title": format!("Chore {n}"), "assignees": [owner.user_id]})).await;
    }
    let person = Client::logged_in(&app, &owner.email).await;
    let html = person.get(&app, "/admin/work").await.text();
    let card = &html[html.find(">Your tasks<").expect("the tasks card")..];
    assert!(card.contains("<strong>500+</strong> open"), "{card}");
    assert!(card.contains("<strong>0+</strong> overdue"), "{card}");
}
