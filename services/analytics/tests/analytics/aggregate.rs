//! Domain events recorded, the aggregation's figures for a known set, and rebuilds.

use baseops_test_support::TestApp;
use chrono::{TimeDelta, Utc};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{aggregate_today, figure, known_set};

async fn event_names(app: &TestApp) -> Vec<String> {
    let db = app.state().db().write();
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT name FROM analytics_events ORDER BY name",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get("", "name").unwrap())
    .collect()
}

async fn daily_rows(app: &TestApp) -> Vec<(String, String, String, i64)> {
    let db = app.state().db().write();
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT metric, dimension, currency, value FROM analytics_daily ORDER BY metric, dimension, currency",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| {
        (
            row.try_get("", "metric").unwrap(),
            row.try_get("", "dimension").unwrap(),
            row.try_get("", "currency").unwrap(),
            row.try_get("", "value").unwrap(),
        )
    })
    .collect()
}

#[tokio::test]
async fn leads_and_tasks_events_are_recorded_once() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    known_set(&app, &owner).await;
    let names = event_names(&app).await;
    let count = |name: &str| names.iter().filter(|one| *one == name).count();
    assert_eq!(count("lead.created"), 4, "{names:?}");
    assert_eq!((count("lead.won"), count("lead.lost"), count("lead.stage_changed")), (1, 1, 1), "{names:?}");
    assert_eq!((count("task.created"), count("task.completed")), (3, 1), "{names:?}");
    app.run_jobs().await;
    assert_eq!(event_names(&app).await, names, "nothing twice");
}

#[tokio::test]
async fn the_aggregates_hold_the_known_figures_and_rebuilds_are_idempotent() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    known_set(&app, &owner).await;
    aggregate_today(&app).await;
    let first = daily_rows(&app).await;
    let kpis = owner.get(&app, "/api/v1/analytics/kpis").await;
    assert_eq!(kpis.status, 200, "{}", kpis.text());
    let kpis = kpis.json();
    assert_eq!(figure(&kpis, "leads.new", "web_form", ""), 3, "{kpis}");
    assert_eq!(figure(&kpis, "leads.new", "referral", ""), 1);
    assert_eq!(figure(&kpis, "leads.won", "web_form", ""), 1);
    assert_eq!(figure(&kpis, "leads.lost", "web_form", ""), 1);
    assert_eq!(figure(&kpis, "pipeline.open_value", "New", "EUR"), 100_000);
    assert_eq!(figure(&kpis, "pipeline.open_value", "Qualified", "EUR"), 25_000);
    assert_eq!(figure(&kpis, "pipeline.open_count", "New", ""), 1);
    assert_eq!(figure(&kpis, "tasks.completed", "", ""), 1);
    assert_eq!(figure(&kpis, "tasks.created", "", ""), 3);
    assert_eq!(figure(&kpis, "tasks.overdue", "", ""), 1);

    aggregate_today(&app).await;
    assert_eq!(daily_rows(&app).await, first, "a second rebuild writes the same rows");
    let today = Utc::now().date_naive();
    let written = baseops_analytics::rebuild(app.state(), today - TimeDelta::days(40), today).await.unwrap();
    assert_eq!(written as usize, first.len(), "older days hold nothing");
    assert_eq!(daily_rows(&app).await, first);
}

#[tokio::test]
async fn the_aggregation_job_runs_through_the_queue() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    known_set(&app, &owner).await;
    let db = app.state().db().write();
    baseops_jobs::enqueue(db, baseops_jobs::Enqueue::new(&baseops_analytics::Aggregate::default()).unwrap())
        .await
        .unwrap();
    app.run_jobs().await;
    let kpis = owner.get(&app, "/api/v1/analytics/kpis").await.json();
    assert_eq!(figure(&kpis, "leads.new", "web_form", ""), 3, "{kpis}");
}

#[tokio::test]
async fn past_days_are_counted_on_their_own_day() {
    let app = TestApp::new().await;
    let org = app.organization("Acme").await;
    let three_days_ago = Utc::now() - TimeDelta::days(3);
    let event = |source: &str| baseops_analytics::track::NewEvent {
        id: uuid::Uuid::now_v7(),
        organization_id: org.id,
        name: "lead.created".to_owned(),
        actor_id: None,
        properties: serde_json::json!({"source": source}).as_object().unwrap().clone(),
        occurred_at: three_days_ago,
    };
    let events = vec![event("campaign"), event("campaign"), event("referral")];
    baseops_analytics::track::record(app.state().db().write(), events).await.unwrap();
    let day = three_days_ago.date_naive();
    baseops_analytics::rebuild(app.state(), day - TimeDelta::days(1), day + TimeDelta::days(1))
        .await
        .unwrap();
    let path = format!("/api/v1/analytics/kpis?from={day}&to={day}");
    let kpis = org.owner.get(&app, &path).await.json();
    assert_eq!(figure(&kpis, "leads.new", "campaign", ""), 2, "{kpis}");
    assert_eq!(figure(&kpis, "leads.new", "referral", ""), 1, "{kpis}");
    assert_eq!(kpis["series"][0]["points"][0]["day"], day.to_string());
}
