//! The console dashboard: cards and charts from the aggregates, for those with
//! `analytics.view`.

use baseops_test_support::{Client, TestApp};

use crate::support::{aggregate_today, known_set};

#[tokio::test]
async fn the_dashboard_shows_the_figures() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    known_set(&app, &owner).await;
    aggregate_today(&app).await;
    let person = Client::logged_in(&app, &owner.email).await;
    let page = person.get(&app, "/admin/dashboard").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("<h1>Dashboard</h1>"), "{html}");
    assert!(html.contains(r#"data-kpi="open-value">1,250.00 EUR"#), "open pipeline value: {html}");
    assert!(html.contains(r#"data-kpi="new-leads">4<"#), "{html}");
    assert!(html.contains(r#"data-kpi="won">1<"#), "{html}");
    assert!(html.contains(r#"data-kpi="tasks-completed">1<"#), "{html}");
    assert!(html.contains(r#"data-kpi="tasks-overdue">1<"#), "{html}");
    assert!(html.contains("<title id=\"new-leads-title\">New leads per day</title>"), "{html}");
    assert!(html.contains("<td>web_form</td>") && html.contains("50%"), "conversion by source: {html}");
    assert!(html.contains("<th scope=\"row\">New</th><td>1,000.00 EUR</td>"), "the pipeline's table: {html}");
    assert!(!html.contains("style="), "no inline style: {html}");
}

#[tokio::test]
async fn without_analytics_view_the_dashboard_is_forbidden() {
    let app = TestApp::new().await;
    let org = app.organization("Acme").await;
    let sales = app.member_with_email(org.id, "sales@acme.test", "sales").await;
    let person = Client::logged_in(&app, &sales.email).await;
    assert_eq!(person.get(&app, "/admin/dashboard").await.status, 403);
    let empty = Client::logged_in(&app, &org.owner.email).await.get(&app, "/admin/dashboard").await;
    assert_eq!(empty.status, 200, "no aggregates yet: {}", empty.text());
    assert!(empty.text().contains("No aggregates yet"));
}
