//! The audit trail through the API: `audit.view` per default role, filters, pagination and
//! export, and the tenant boundary.

use baseops_test_support::TestApp;
use serde_json::Value;

#[tokio::test]
async fn audit_events_are_listed_per_role_and_never_across_organizations() {
    let app = TestApp::new().await;
    let acme = app.org().await;
    let globex = app.organization("Globex").await;
    let owner = app.signed_in_owner(acme).await;

    let allowed = ["owner", "admin", "manager"];
    for role in ["admin", "manager", "sales", "accountant", "marketer", "support", "viewer"] {
        let member = app.signed_in_member(acme.id, &format!("{role}@example.com"), role).await;
        let response = member.get(&app, "/api/v1/audit/events").await;
        if allowed.contains(&role) {
            assert_eq!(response.status, 200, "{role}: {}", response.text());
        } else {
            response.assert_problem(403, "forbidden");
        }
    }

    let page = owner.get(&app, "/api/v1/audit/events?limit=3").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let page = page.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = owner.get(&app, &format!("/api/v1/audit/events?limit=3&cursor={cursor}")).await.json();
    assert_ne!(next["items"][0]["id"], page["items"][0]["id"]);

    let all = owner.get(&app, "/api/v1/audit/events?limit=200").await.json();
    let items = all["items"].as_array().unwrap();
    assert!(items.iter().all(|event| event["organization_id"] == acme.id.to_string()));
    assert!(!items.iter().any(|event| event["organization_id"] == globex.id.to_string()));
    let only = owner.get(&app, "/api/v1/audit/events?action=organization.create").await.json();
    assert_eq!(only["items"].as_array().unwrap().len(), 1);

    owner.get(&app, "/api/v1/audit/events?limit=0").await.assert_problem(422, "validation_failed");
    owner.get(&app, "/api/v1/audit/events?cursor=zz").await.assert_problem(400, "invalid_cursor");
    owner.get(&app, "/api/v1/audit/events?since=yesterday").await.assert_problem(400, "invalid_query");
    owner.clone().in_org(globex.id).get(&app, "/api/v1/audit/events").await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_trail_exports_as_csv_and_json_lines() {
    let app = TestApp::new().await;
    let owner = app.signed_in_owner(app.org().await).await;
    let listed = owner.get(&app, "/api/v1/audit/events?limit=200").await.json();
    let count = listed["items"].as_array().unwrap().len();
    assert!(count > 5, "{listed}");

    let csv = owner.get(&app, "/api/v1/audit/events/export").await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.header("content-disposition").unwrap().contains("audit-events.csv"));
    let text = csv.text();
    assert!(text.starts_with("id,created_at,seq,"));
    assert_eq!(text.lines().count(), count + 1);

    let jsonl = owner.get(&app, "/api/v1/audit/events/export?format=jsonl").await;
    assert_eq!(jsonl.header("content-type"), Some("application/x-ndjson"));
    let events: Vec<Value> = jsonl.text().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(events.len(), count);
    assert_eq!(events[0]["id"], listed["items"][0]["id"]);
    owner.get(&app, "/api/v1/audit/events/export?format=xml").await.assert_problem(422, "validation_failed");
}
