//! Bulk actions on leads, through the API and the list's bulk bar: all or none, each lead
//! through its one-lead service (audit, timeline), within the caller's reach.

use baseops_test_support::{Client, TestApp};
use serde_json::{Value, json};

use crate::support::{all_leads, create_lead, stages};

fn ids(leads: &[&Value]) -> Vec<String> {
    leads.iter().map(|lead| lead["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn bulk_assign_stage_and_delete_change_every_lead_or_none() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let other = app.organization("Other").await.owner;
    let sales = app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let ada = create_lead(&app, &owner, json!({"first_name": "Ada"})).await;
    let grace = create_lead(&app, &owner, json!({"first_name": "Grace"})).await;
    let theirs = create_lead(&app, &other, json!({"first_name": "Theirs"})).await;
    let stage = stages(&app, &owner).await;

    let assigned = owner
        .post(
            &app,
            "/api/v1/leads/bulk/assign",
            json!({"ids": ids(&[&ada, &grace, &ada]), "owner_id": sales.user_id}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text());
    assert_eq!(assigned.json()["changed"].as_array().unwrap().len(), 2, "a repeated id counts once");
    assert_eq!(app.audit(Some(owner.organization_id), "lead.assign").await.len(), 2);
    let again = owner
        .post(&app, "/api/v1/leads/bulk/assign", json!({"ids": ids(&[&ada]), "owner_id": sales.user_id}))
        .await;
    assert_eq!(again.json()["changed"], json!([]), "already theirs");

    // A lead of another organization refuses the lot, named; nothing moved.
    let refused = owner
        .post(
            &app,
            "/api/v1/leads/bulk/stage",
            json!({"ids": ids(&[&ada, &grace, &theirs]), "stage_id": stage["Qualified"]}),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains(theirs["id"].as_str().unwrap()), "{}", refused.text());
    assert!(all_leads(&app, &owner, "").await.iter().all(|lead| lead["stage_id"] == stage["New"]));
    let lost = owner
        .post(
            &app,
            "/api/v1/leads/bulk/stage",
            json!({"ids": ids(&[&ada, &grace]), "stage_id": stage["Lost"]}),
        )
        .await;
    assert_eq!(lost.status, 422, "a lost stage needs a reason: {}", lost.text());

    let moved = owner
        .post(
            &app,
            "/api/v1/leads/bulk/stage",
            json!({"ids": ids(&[&ada, &grace]), "stage_id": stage["Qualified"]}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert!(all_leads(&app, &owner, "").await.iter().all(|lead| lead["stage_id"] == stage["Qualified"]));

    for bad in [json!({"ids": []}), json!({"ids": vec![theirs["id"].clone(); 201]}), json!({"ids": "x"})] {
        let response = owner.post(&app, "/api/v1/leads/bulk/delete", bad.clone()).await;
        assert_eq!(response.status, 422, "{bad}: {}", response.text());
    }
    // A sales rep may not delete, and sees only their own leads.
    assert_eq!(sales.post(&app, "/api/v1/leads/bulk/delete", json!({"ids": ids(&[&ada])})).await.status, 403);
    let deleted = owner.post(&app, "/api/v1/leads/bulk/delete", json!({"ids": ids(&[&ada, &grace])})).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert!(all_leads(&app, &owner, "").await.is_empty());
    assert_eq!(app.audit(Some(owner.organization_id), "lead.delete").await.len(), 2);
    assert_eq!(all_leads(&app, &other, "").await.len(), 1, "another organization's lead stays");
}

#[tokio::test]
async fn the_lists_bulk_bar_moves_ticked_leads_after_choosing_the_stage() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let viewer_id = app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await.user_id;
    let ada = create_lead(&app, &owner, json!({"first_name": "Ada"})).await;
    let grace = create_lead(&app, &owner, json!({"first_name": "Grace"})).await;
    let stage = stages(&app, &owner).await;
    let person = Client::logged_in(&app, &owner.email).await;

    let list = person.get(&app, "/admin/leads?q=a").await;
    let html = list.text();
    assert!(html.contains("<form id=\"bulk\""), "{html}");
    assert!(
        html.contains("value=\"stage\"")
            && html.contains("value=\"assign\"")
            && html.contains("value=\"delete\"")
    );
    let form = list.form("bulk");
    let csrf = form.get("csrf_token").expect("the form's CSRF token").to_owned();
    let ticked = ids(&[&ada, &grace]);

    let none =
        person.post_form(&app, "/admin/leads/bulk?q=a", &[("csrf_token", &csrf), ("action", "stage")]).await;
    assert_eq!(none.status, 422, "{}", none.text());
    assert!(none.text().contains("Tick 1 to 200 leads first."), "{}", none.text());

    let mut chosen = vec![("csrf_token", csrf.as_str()), ("action", "stage")];
    chosen.extend(ticked.iter().map(|id| ("ids", id.as_str())));
    let confirm = person.post_form(&app, "/admin/leads/bulk?q=a", &chosen).await;
    assert_eq!(confirm.status, 200, "{}", confirm.text());
    assert!(confirm.text().contains("Move 2 leads to a stage"), "{}", confirm.text());
    let step = confirm.form("bulk");
    assert_eq!(
        step.pairs().iter().filter(|(name, _)| *name == "ids").count(),
        2,
        "the ticked leads ride along"
    );
    let qualified = stage["Qualified"].as_str();
    let sent = person
        .post_form(&app, "/admin/leads/bulk?q=a", &step.clone().with(&[("stage_id", qualified)]).pairs())
        .await;
    assert_eq!(sent.status, 303, "{}", sent.text());
    assert_eq!(sent.header("location"), Some("/admin/leads?q=a&done=moved"));
    assert!(all_leads(&app, &owner, "").await.iter().all(|lead| lead["stage_id"] == stage["Qualified"]));

    // Lost without a reason: the second page again, with the reason asked for.
    let lost = person
        .post_form(&app, "/admin/leads/bulk?q=a", &step.with(&[("stage_id", stage["Lost"].as_str())]).pairs())
        .await;
    assert_eq!(lost.status, 422, "{}", lost.text());
    assert!(lost.text().contains("is required when a lead is lost"), "{}", lost.text());

    // Giving them an owner offers the members; the viewer is one of them.
    let mut assign = vec![("csrf_token", csrf.as_str()), ("action", "assign")];
    assign.extend(ticked.iter().map(|id| ("ids", id.as_str())));
    let choose = person.post_form(&app, "/admin/leads/bulk", &assign).await;
    assert!(choose.text().contains("&lt;viewer@acme.test&gt;"), "{}", choose.text());
    let viewer_id = viewer_id.to_string();
    let given = choose.form("bulk").with(&[("owner_id", viewer_id.as_str())]);
    assert_eq!(person.post_form(&app, "/admin/leads/bulk", &given.pairs()).await.status, 303);
    assert!(all_leads(&app, &owner, "").await.iter().all(|lead| lead["owner_id"] == viewer_id.as_str()));

    // A viewer has no bar, and a forged request is refused.
    let viewer = Client::logged_in(&app, "viewer@acme.test").await;
    assert!(!viewer.get(&app, "/admin/leads").await.text().contains("<form id=\"bulk\""));
    let viewer_csrf = viewer.csrf.clone().unwrap();
    let mut forged = vec![("csrf_token", viewer_csrf.as_str()), ("action", "delete"), ("confirm", "1")];
    forged.extend(ticked.iter().map(|id| ("ids", id.as_str())));
    assert_eq!(viewer.post_form(&app, "/admin/leads/bulk", &forged).await.status, 403);
    assert_eq!(all_leads(&app, &owner, "").await.len(), 2);
}
