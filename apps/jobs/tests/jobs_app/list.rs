//! `GET /api/v1/jobs`: newest first, a page at a time, filtered by state, each job with the
//! documented fields and never its input (which may hold a message or a link).

use std::collections::BTreeSet;
use std::time::Duration;

use baseops_test_support::TestApp;
use serde_json::Value;
use uuid::Uuid;

use crate::support::{DOWN, Endpoint, SECRET, delivery_ids, listed, put, superuser, work};

/// The fields the docs list for a job, and no others.
const FIELDS: [&str; 12] = [
    "attempts",
    "created_at",
    "finished_at",
    "id",
    "last_error",
    "max_attempts",
    "name",
    "organization_id",
    "queue",
    "request_id",
    "run_at",
    "state",
];

#[tokio::test]
async fn jobs_are_listed_newest_first_by_state_without_their_input() {
    let app = TestApp::new().await;
    let org = app.org().await.id;
    let root = superuser(&app).await;
    let endpoint = Endpoint::default();
    // Three done, two dead, one waiting for tomorrow: enqueued in this order.
    let mut done = Vec::new();
    for key in ["d1", "d2", "d3"] {
        done.push(put(&app, key, org, None).await);
    }
    work(&app, &endpoint).await;
    endpoint.set_down(true);
    let dead = [put(&app, "x1", org, None).await, put(&app, "x2", org, None).await];
    work(&app, &endpoint).await;
    let later = put(&app, "later", org, Some(Duration::from_secs(86_400))).await;

    let all = listed(&app, &root, "").await;
    let ids: Vec<Uuid> = all.iter().map(|item| item["id"].as_str().unwrap().parse().unwrap()).collect();
    let mut newest_first = ids.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first, "newest first");
    assert_eq!(delivery_ids(&all), [later, dead[1], dead[0], done[2], done[1], done[0]]);
    for item in &all {
        let fields: BTreeSet<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(fields, BTreeSet::from(FIELDS), "{item}");
    }
    let body = root.get(&app, "/api/v1/jobs?limit=500").await;
    assert_eq!(body.status, 200, "the largest page: {}", body.text());
    assert!(!body.text().contains(SECRET), "an input was listed: {}", body.text());

    // Each state alone; a dead job says why, when and for whom.
    let in_state = |state: &'static str| {
        let (app, root) = (&app, &root);
        async move { delivery_ids(&listed(app, root, &format!("?state={state}")).await) }
    };
    assert_eq!(in_state("done").await, [done[2], done[1], done[0]]);
    assert_eq!(in_state("pending").await, [later]);
    assert!(in_state("running").await.is_empty() && in_state("queued").await.is_empty());
    let dead_items = listed(&app, &root, "?state=dead").await;
    assert_eq!(delivery_ids(&dead_items), [dead[1], dead[0]]);
    let first: &Value = &dead_items[0];
    assert_eq!(
        (first["state"].as_str(), first["attempts"].as_i64(), first["max_attempts"].as_i64()),
        (Some("dead"), Some(1), Some(3)),
        "a permanent failure is dead at once: {first}"
    );
    assert_eq!(first["last_error"], DOWN);
    assert!(first["finished_at"].is_string(), "{first}");
    assert_eq!(first["organization_id"], org.to_string());
    assert_eq!(
        (first["request_id"].as_str(), first["queue"].as_str()),
        (Some("req-x2"), Some("test_deliveries"))
    );

    // Pages of two, following the cursors: every job once, in the same order.
    let paged = listed(&app, &root, "?limit=2").await;
    assert_eq!(paged, all, "pages of two differ from the whole list");
    let first_page = root.get(&app, "/api/v1/jobs?limit=2").await;
    assert_eq!(first_page.status, 200, "{}", first_page.text());
    let first_page = first_page.json();
    assert_eq!(first_page["items"].as_array().unwrap().len(), 2);
    assert!(first_page["next_cursor"].is_string(), "{first_page}");
    let done_paged = listed(&app, &root, "?state=done&limit=1").await;
    assert_eq!(delivery_ids(&done_paged), [done[2], done[1], done[0]]);

    // Bad queries: an unknown state or limit is 422, a cursor this list did not make 400.
    for query in ["state=sleeping", "state=DEAD", "limit=0", "limit=501"] {
        let response = root.get(&app, &format!("/api/v1/jobs?{query}")).await;
        response.assert_problem(422, "validation_failed");
    }
    root.get(&app, "/api/v1/jobs?cursor=garbage").await.assert_problem(400, "invalid_cursor");
}
