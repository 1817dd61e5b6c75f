//! The pipeline board of the admin console: columns per stage with their leads, and moves
//! through the same service, permissions, versions and audit trail as
//! `POST /api/v1/leads/{id}/stage` — by a plain form or by the board's script.

use axum::body::Body;
use baseops_test_support::{Client, TestApp, TestResponse, csrf_token_in};
use http::{Method, header};
use serde_json::{Value, json};

use crate::support::{create_lead, stages};

/// The lead as the API shows it.
async fn lead(app: &TestApp, member: &Client, id: &str) -> Value {
    let response = member.get(app, &format!("/api/v1/leads/{id}")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

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
    let body = fields
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    let request = member
        .request(Method::POST, path, &[("x-requested-with", "fetch")])
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("a valid request");
    app.send(request).await
}

#[tokio::test]
async fn the_board_shows_stages_and_cards_and_a_form_moves_a_lead_like_the_api() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let ada = create_lead(
        &app,
        &owner,
        json!({"first_name": "Ada", "last_name": "Lovelace", "company": "Engines & Co", "value_amount": 123450, "currency": "EUR"}),
    )
    .await;
    create_lead(&app, &other, json!({"first_name": "Hidden", "last_name": "Elsewhere"})).await;
    let stage = stages(&app, &owner).await;
    let person = Client::logged_in(&app, &owner.email).await;

    let board = person.get(&app, "/admin/leads/board").await;
    assert_eq!(board.status, 200, "{}", board.text());
    let html = board.text();
    for name in ["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"] {
        assert!(html.contains(&format!("{name} <span class=\"board-count\">")), "column {name}: {html}");
    }
    assert!(html.contains("Ada Lovelace") && html.contains("Engines &amp; Co"), "{html}");
    assert!(html.contains("1,234.50 EUR"), "value and column total in money format: {html}");
    assert!(!html.contains("Elsewhere"), "another organization's lead: {html}");
    let id = ada["id"].as_str().unwrap();
    assert!(html.contains(&format!("action=\"/admin/leads/{id}/stage\"")), "a move form: {html}");
    assert!(html.contains("data-needs-reason"), "the lost column asks for a reason: {html}");

    let token = csrf_token_in(&html);
    let path = format!("/admin/leads/{id}/stage");
    let moved = person
        .post_form(
            &app,
            &path,
            &[("csrf_token", &token), ("version", "1"), ("stage_id", &stage["Qualified"])],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.text());
    let location = moved.header("location").unwrap().to_owned();
    assert!(location.starts_with("/admin/leads/board?") && location.contains("moved="), "{location}");
    let now = lead(&app, &owner, id).await;
    assert_eq!(now["stage_id"], stage["Qualified"].as_str());
    assert_eq!(now["version"], 2);
    let audited = app.audit(Some(owner.organization_id), "lead.stage_change").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].entity_id, id);
    assert_eq!(audited[0].actor_id.as_deref(), Some(owner.user_id.to_string().as_str()));
    let back = person.get(&app, &location).await.text();
    assert!(back.contains("Moved Ada Lovelace to Qualified."), "{back}");

    let partial = post_from_script(
        &app,
        &person,
        &path,
        &[("csrf_token", &token), ("version", "2"), ("stage_id", &stage["Proposal"])],
    )
    .await;
    assert_eq!(partial.status, 200, "{}", partial.text());
    let text = partial.text();
    assert!(text.contains(&format!("id=\"board-card-{id}\"")) && !text.contains("<html"), "{text}");
    assert!(text.contains(&format!("board-head-{}", stage["Proposal"])), "column heads: {text}");
    assert!(text.contains("name=\"version\" value=\"3\""), "the card carries the new version: {text}");
    assert_eq!(lead(&app, &owner, id).await["stage_id"], stage["Proposal"].as_str());
}

#[tokio::test]
async fn a_stale_version_or_a_lost_stage_without_reason_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let ada = create_lead(&app, &owner, json!({"first_name": "Ada", "last_name": "Lovelace"})).await;
    let id = ada["id"].as_str().unwrap();
    let stage = stages(&app, &owner).await;
    let person = Client::logged_in(&app, &owner.email).await;
    let token = csrf_token_in(&person.get(&app, "/admin/leads/board").await.text());
    let path = format!("/admin/leads/{id}/stage");
    let api =
        owner.post(&app, &format!("/api/v1/leads/{id}/stage"), json!({"stage_id": stage["Contacted"]})).await;
    assert_eq!(api.status, 200, "{}", api.text());

    let stale = person
        .post_form(
            &app,
            &path,
            &[("csrf_token", &token), ("version", "1"), ("stage_id", &stage["Qualified"])],
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.text());
    assert!(
        stale.text().contains("alert-error") && stale.text().contains("changed this lead"),
        "{}",
        stale.text()
    );
    let from_script = post_from_script(
        &app,
        &person,
        &path,
        &[("csrf_token", &token), ("version", "1"), ("stage_id", &stage["Qualified"])],
    )
    .await;
    assert_eq!(from_script.status, 409);
    assert!(from_script.text().contains("class=\"board-refusal\""), "{}", from_script.text());
    assert_eq!(lead(&app, &owner, id).await["stage_id"], stage["Contacted"].as_str(), "not overwritten");

    let no_reason = person
        .post_form(&app, &path, &[("csrf_token", &token), ("version", "2"), ("stage_id", &stage["Lost"])])
        .await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.text());
    assert!(no_reason.text().contains("Lost reason is required"), "{}", no_reason.text());
    assert_eq!(
        app.audit(Some(owner.organization_id), "lead.stage_change").await.len(),
        1,
        "only the API's move"
    );

    let lost = person
        .post_form(
            &app,
            &path,
            &[
                ("csrf_token", &token),
                ("version", "2"),
                ("stage_id", &stage["Lost"]),
                ("lost_reason", "Budget cut"),
            ],
        )
        .await;
    assert_eq!(lost.status, 303, "{}", lost.text());
    let now = lead(&app, &owner, id).await;
    assert_eq!((now["status"].as_str(), now["lost_reason"].as_str()), (Some("lost"), Some("Budget cut")));
}

#[tokio::test]
async fn moves_need_the_csrf_field_the_edit_permission_and_the_organization() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let ada = create_lead(&app, &owner, json!({"first_name": "Ada", "last_name": "Lovelace"})).await;
    let id = ada["id"].as_str().unwrap();
    let hidden = create_lead(&app, &other, json!({"first_name": "Hidden", "last_name": "Elsewhere"})).await;
    let stage = stages(&app, &owner).await;
    let person = Client::logged_in(&app, &owner.email).await;
    let token = csrf_token_in(&person.get(&app, "/admin/leads/board").await.text());
    let path = format!("/admin/leads/{id}/stage");

    let forged = person.post_form(&app, &path, &[("version", "1"), ("stage_id", &stage["Qualified"])]).await;
    assert_eq!(forged.status, 403, "{}", forged.text());

    let elsewhere = person
        .post_form(
            &app,
            &format!("/admin/leads/{}/stage", hidden["id"].as_str().unwrap()),
            &[("csrf_token", &token), ("version", "1"), ("stage_id", &stage["Qualified"])],
        )
        .await;
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.text());

    app.member_with_email(owner.organization_id, "marketer@acme.test", "marketer").await;
    let marketer = Client::logged_in(&app, "marketer@acme.test").await;
    let board = marketer.get(&app, "/admin/leads/board").await;
    assert_eq!(board.status, 200, "{}", board.text());
    let html = board.text();
    assert!(html.contains("Ada Lovelace"), "the marketer sees every lead: {html}");
    assert!(!html.contains("board-move-form") && !html.contains("draggable"), "but may move none: {html}");
    let refused = marketer
        .post_form(
            &app,
            &path,
            &[("csrf_token", &csrf_token_in(&html)), ("version", "1"), ("stage_id", &stage["Qualified"])],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(lead(&app, &owner, id).await["version"], 1, "nothing changed");
    assert!(app.audit(Some(owner.organization_id), "lead.stage_change").await.is_empty());
}
