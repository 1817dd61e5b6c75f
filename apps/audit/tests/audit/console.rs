//! The audit viewer in the console: the organization's trail with its changes, filters, the
//! chain's verification on demand, and nothing for a role without `audit.view`.

use baseops_test_support::{Client, TestApp, csrf_token_in};
use serde_json::json;

#[tokio::test]
async fn the_trail_shows_changes_filters_and_verifies() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let created =
        owner.post(&app, "/api/v1/leads", json!({"first_name": "Ada", "company": "<Engines>"})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    other.post(&app, "/api/v1/leads", json!({"first_name": "Elsewhere"})).await;
    let person = Client::logged_in(&app, &owner.email).await;

    let page = person.get(&app, "/admin/audit").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("lead.create") && html.contains("&lt;Engines&gt;"), "{html}");
    assert!(!html.contains("Elsewhere"), "another organization's trail: {html}");
    let filtered = person.get(&app, "/admin/audit?action=task.create").await.text();
    assert!(filtered.contains("No audit event matches."), "{filtered}");
    let long = person.get(&app, &format!("/admin/audit?action={}", "a".repeat(200))).await;
    assert_eq!(long.status, 422);

    let csrf = csrf_token_in(&html);
    let verified = person.post_form(&app, "/admin/audit/verify", &[("csrf_token", &csrf)]).await;
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert!(verified.text().contains("The chain is intact"), "{}", verified.text());
    assert_eq!(person.post_form(&app, "/admin/audit/verify", &[]).await.status, 403);
}

#[tokio::test]
async fn a_role_without_audit_view_sees_no_trail() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await;
    let viewer = Client::logged_in(&app, "viewer@acme.test").await;
    let home = viewer.get(&app, "/admin").await.text();
    assert!(!home.contains("&#x2f;admin&#x2f;audit"), "{home}");
    assert_eq!(viewer.get(&app, "/admin/audit").await.status, 403);
}
