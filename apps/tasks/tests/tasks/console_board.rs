//! The tasks board of the admin console: a column per workflow stage with its tasks, and
//! moves through the same service, permissions, versions, workflow and audit trail as
//! `PATCH /api/v1/tasks/{id}` — by a plain form or by the board's script.

use axum::body::Body;
use baseops_test_support::{Client, TestApp, TestResponse, csrf_token_in};
use http::{Method, header};
use serde_json::json;

use crate::support::{create_task, id_of, move_to, task};

/// Percent-encodes a form value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Posts a card's form as the board's script does: `X-Requested-With: fetch` and the
/// token in `X-CSRF-Token`.
async fn post_from_script(
    app: &TestApp,
    member: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> TestResponse {
    let body =
        fields.iter().map(|(key, value)| format!("{}={}", encode(key), encode(value))).collect::<Vec<_>>();
    let request = member
        .request(Method::POST, path, &[("x-requested-with", "fetch")])
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.join("&")))
        .expect("a valid request");
    app.send(request).await
}

#[tokio::test]
async fn the_board_shows_stages_and_cards_and_a_form_moves_a_task_like_the_api() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let call = create_task(&app, &owner, json!({"title": "Call <Ada>"})).await;
    create_task(&app, &other, json!({"title": "Their secret plan"})).await;
    let id = id_of(&call);
    let person = Client::logged_in(&app, &owner.email).await;

    let board = person.get(&app, "/admin/tasks/board").await;
    assert_eq!(board.status, 200, "{}", board.text());
    let html = board.text();
    for name in ["To do", "In progress", "In review", "Done", "Cancelled"] {
        assert!(html.contains(&format!("{name} <span class=\"board-count\">")), "column {name}: {html}");
    }
    assert!(html.contains("Call &lt;Ada&gt;") && !html.contains("secret plan"), "{html}");
    assert!(html.contains(&format!("action=\"/admin/tasks/{id}/status\"")), "a move form: {html}");
    assert!(html.contains("data-allowed=\"in_progress cancelled \""), "the workflow's targets: {html}");

    let token = csrf_token_in(&html);
    let path = format!("/admin/tasks/{id}/status");
    let moved = person
        .post_form(&app, &path, &[("csrf_token", &token), ("version", "1"), ("status", "in_progress")])
        .await;
    assert_eq!(moved.status, 303, "{}", moved.text());
    let location = moved.header("location").unwrap().to_owned();
    assert_eq!(location, format!("/admin/tasks/board?moved={id}"));
    let now = task(&app, &owner, &id).await;
    assert_eq!((now["status"].as_str(), now["version"].as_i64()), (Some("in_progress"), Some(2)));
    let audited = app.audit(Some(owner.organization_id), "task.update").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].entity_id, id);
    assert_eq!(audited[0].actor_id.as_deref(), Some(owner.user_id.to_string().as_str()));
    let changes = serde_json::to_value(&audited[0].changes).unwrap();
    assert_eq!(changes["status"], json!({"before": "todo", "after": "in_progress"}), "{changes}");
    let back = person.get(&app, &location).await.text();
    assert!(back.contains("Moved “Call &lt;Ada&gt;” to In progress."), "{back}");

    let partial = post_from_script(
        &app,
        &person,
        &path,
        &[("csrf_token", &token), ("version", "2"), ("status", "in_review")],
    )
    .await;
    assert_eq!(partial.status, 200, "{}", partial.text());
    let text = partial.text();
    assert!(text.contains(&format!("id=\"board-card-{id}\"")) && !text.contains("<html"), "{text}");
    assert!(text.contains("id=\"board-head-in_review\""), "column heads: {text}");
    assert!(text.contains("data-allowed=\"done cancelled \""), "the card's new targets: {text}");
    assert_eq!(task(&app, &owner, &id).await["status"], "in_review");
}

#[tokio::test]
async fn a_disallowed_transition_or_a_stale_version_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let id = id_of(&create_task(&app, &owner, json!({"title": "File the report"})).await);
    let person = Client::logged_in(&app, &owner.email).await;
    let token = csrf_token_in(&person.get(&app, "/admin/tasks/board").await.text());
    let path = format!("/admin/tasks/{id}/status");

    let skipped =
        person.post_form(&app, &path, &[("csrf_token", &token), ("version", "1"), ("status", "done")]).await;
    assert_eq!(skipped.status, 409, "{}", skipped.text());
    let html = skipped.text();
    assert!(html.contains("alert-error"), "{html}");
    assert!(
        html.contains("A task in To do cannot move to Done; it may move to In progress or Cancelled."),
        "{html}"
    );
    let from_script = post_from_script(
        &app,
        &person,
        &path,
        &[("csrf_token", &token), ("version", "1"), ("status", "done")],
    )
    .await;
    assert_eq!(from_script.status, 409);
    assert!(from_script.text().contains("class=\"board-refusal\""), "{}", from_script.text());

    assert_eq!(move_to(&app, &owner, &id, "in_progress").await.status, 200);
    let stale = person
        .post_form(&app, &path, &[("csrf_token", &token), ("version", "1"), ("status", "cancelled")])
        .await;
    assert_eq!(stale.status, 409, "{}", stale.text());
    assert!(stale.text().contains("changed this task"), "{}", stale.text());
    let now = task(&app, &owner, &id).await;
    assert_eq!((now["status"].as_str(), now["version"].as_i64()), (Some("in_progress"), Some(2)));
    assert_eq!(app.audit(Some(owner.organization_id), "task.update").await.len(), 1, "only the API's move");
}

#[tokio::test]
async fn moves_need_the_csrf_field_the_edit_permission_and_the_organization() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let accountant = app.member_with_email(owner.organization_id, "accountant@acme.test", "accountant").await;
    let id = id_of(
        &create_task(&app, &owner, json!({"title": "Close the books", "assignees": [accountant.user_id]}))
            .await,
    );
    let hidden = id_of(&create_task(&app, &other, json!({"title": "Their secret plan"})).await);
    let person = Client::logged_in(&app, &owner.email).await;
    let token = csrf_token_in(&person.get(&app, "/admin/tasks/board").await.text());
    let path = format!("/admin/tasks/{id}/status");

    let forged = person.post_form(&app, &path, &[("version", "1"), ("status", "in_progress")]).await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    let elsewhere = person
        .post_form(
            &app,
            &format!("/admin/tasks/{hidden}/status"),
            &[("csrf_token", &token), ("version", "1"), ("status", "in_progress")],
        )
        .await;
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.text());

    let reader = Client::logged_in(&app, "accountant@acme.test").await;
    let board = reader.get(&app, "/admin/tasks/board").await;
    assert_eq!(board.status, 200, "{}", board.text());
    let html = board.text();
    assert!(html.contains("Close the books"), "the accountant sees their task: {html}");
    assert!(!html.contains("board-move-form") && !html.contains("draggable"), "but may move none: {html}");
    let refused = reader
        .post_form(
            &app,
            &path,
            &[("csrf_token", &csrf_token_in(&html)), ("version", "1"), ("status", "in_progress")],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(task(&app, &owner, &id).await["version"], 1, "nothing changed");
    assert!(app.audit(Some(owner.organization_id), "task.update").await.is_empty());
}
