//! `GET /api/v1/analytics/kpis`: who may read it, its bounds, and one organization's figures
//! only.

use baseops_test_support::TestApp;

use crate::support::{aggregate_today, figure, known_set, lead};

#[tokio::test]
async fn only_those_who_run_the_organization_read_the_kpis() {
    let app = TestApp::new().await;
    let org = app.organization("Acme").await;
    for role in ["owner", "admin", "manager", "viewer"] {
        let member = app.member(org.id, role).await;
        assert_eq!(member.get(&app, "/api/v1/analytics/kpis").await.status, 200, "{role}");
    }
    for role in ["sales", "support", "accountant", "marketer"] {
        let member = app.member(org.id, role).await;
        member.get(&app, "/api/v1/analytics/kpis").await.assert_problem(403, "forbidden");
    }
}

#[tokio::test]
async fn ranges_are_bounded() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    owner
        .get(&app, "/api/v1/analytics/kpis?from=2026-01-01&to=2027-01-02")
        .await
        .assert_problem(422, "validation_failed");
    owner
        .get(&app, "/api/v1/analytics/kpis?from=2026-02-01&to=2026-01-01")
        .await
        .assert_problem(422, "validation_failed");
    let year = owner.get(&app, "/api/v1/analytics/kpis?from=2026-01-01&to=2027-01-01").await;
    assert_eq!(year.status, 200, "366 days: {}", year.text());
    assert_eq!(year.json()["series"], serde_json::json!([]));
}

#[tokio::test]
async fn another_organization_is_never_seen() {
    let app = TestApp::new().await;
    let acme = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    known_set(&app, &acme).await;
    lead(&app, &other, "campaign", Some(700)).await;
    app.run_jobs().await;
    aggregate_today(&app).await;
    let mine = other.get(&app, "/api/v1/analytics/kpis").await.json();
    assert_eq!(figure(&mine, "leads.new", "campaign", ""), 1, "{mine}");
    assert_eq!(figure(&mine, "leads.new", "web_form", ""), 0, "{mine}");
    assert_eq!(figure(&mine, "pipeline.open_value", "New", "EUR"), 700, "{mine}");
    let series = mine["series"].as_array().unwrap();
    assert!(series.iter().all(|one| one["metric"] != "tasks.completed"), "{mine}");
}
