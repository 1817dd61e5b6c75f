//! What the analytics stories share: a small known set of leads and tasks, and reading
//! the aggregates back.

use baseops_test_support::{Client, TestApp};
use chrono::Utc;
use serde_json::{Value, json};

/// Creates a lead, asserting 201, and returns its id.
pub async fn lead(app: &TestApp, member: &Client, source: &str, value: Option<i64>) -> String {
    let mut body = json!({"first_name": "Ada", "last_name": "Lovelace", "source": source});
    if let Some(amount) = value {
        body["value_amount"] = json!(amount);
        body["currency"] = json!("EUR");
    }
    let response = member.post(app, "/api/v1/leads", body).await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()["id"].as_str().unwrap().to_owned()
}

/// Moves a lead to the default pipeline's stage named `stage`.
pub async fn move_lead(app: &TestApp, member: &Client, id: &str, stage: &str) {
    let pipelines = member.get(app, "/api/v1/leads/pipelines").await.json();
    let stage_id =
        pipelines[0]["stages"].as_array().unwrap().iter().find(|one| one["name"] == stage).unwrap()["id"]
            .clone();
    let mut body = json!({"stage_id": stage_id});
    if stage == "Lost" {
        body["lost_reason"] = json!("budget");
    }
    let response = member.post(app, &format!("/api/v1/leads/{id}/stage"), body).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

/// Creates a task, asserting 201, and returns its id.
pub async fn task(app: &TestApp, member: &Client, body: Value) -> String {
    let response = member.post(app, "/api/v1/tasks", body).await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()["id"].as_str().unwrap().to_owned()
}

/// Walks a task through the default workflow to `done`.
pub async fn complete(app: &TestApp, member: &Client, id: &str) {
    for status in ["in_progress", "in_review", "done"] {
        let response =
            member.post(app, "/api/v1/tasks/bulk/status", json!({"ids": [id], "status": status})).await;
        assert_eq!(response.status, 200, "{}", response.text());
    }
}

/// The known set, in the owner's organization: three leads from the web form (one worth
/// 1,000.00 EUR in New, one won, one lost), one referral worth 250.00 EUR moved to
/// Qualified; three tasks, one completed and one overdue.
pub async fn known_set(app: &TestApp, owner: &Client) {
    lead(app, owner, "web_form", Some(100_000)).await;
    let won = lead(app, owner, "web_form", Some(5_000)).await;
    move_lead(app, owner, &won, "Won").await;
    let lost = lead(app, owner, "web_form", None).await;
    move_lead(app, owner, &lost, "Lost").await;
    let referral = lead(app, owner, "referral", Some(25_000)).await;
    move_lead(app, owner, &referral, "Qualified").await;
    let done = task(app, owner, json!({"title": "Call back"})).await;
    complete(app, owner, &done).await;
    task(app, owner, json!({"title": "Late", "due_at": "2020-01-01T09:00:00Z"})).await;
    task(app, owner, json!({"title": "Later", "due_at": "2099-01-01T09:00:00Z"})).await;
    app.run_jobs().await;
}

/// Rebuilds today's aggregates.
pub async fn aggregate_today(app: &TestApp) -> u64 {
    let today = Utc::now().date_naive();
    baseops_analytics::rebuild(app.state(), today, today).await.unwrap()
}

/// The value of one series on its last day, or 0.
pub fn figure(kpis: &Value, metric: &str, dimension: &str, currency: &str) -> i64 {
    kpis["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|one| one["metric"] == metric && one["dimension"] == dimension && one["currency"] == currency)
        .map_or(0, |one| one["points"].as_array().unwrap().last().unwrap()["value"].as_i64().unwrap())
}
