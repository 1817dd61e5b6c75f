//! Assignment rules: round-robin and by source, evaluated when a lead is created.

use serde_json::json;

use crate::support::{leads_app, member, organization, run_jobs};

#[tokio::test]
async fn new_leads_without_an_owner_rotate_through_the_rule_members() {
    let app = leads_app().await;
    let owner = organization(&app, "Acme", "owner@acme.test").await;
    let org = owner.organization_id;
    let ann = member(&app, org, "ann@acme.test", "sales").await;
    let bob = member(&app, org, "bob@acme.test", "sales").await;
    let cy = member(&app, org, "cy@acme.test", "sales").await;
    let outsider = organization(&app, "Other", "other@other.test").await;

    ann.post(&app, "/api/v1/leads/assignment-rules", json!({"name": "x", "member_ids": [ann.user_id]}))
        .await
        .assert_problem(403, "forbidden");
    owner
        .post(
            &app,
            "/api/v1/leads/assignment-rules",
            json!({"name": "bad", "member_ids": [outsider.user_id]}),
        )
        .await
        .assert_problem(422, "validation_failed");
    let by_source = owner
        .post(
            &app,
            "/api/v1/leads/assignment-rules",
            json!({"name": "Referrals to Cy", "source": "referral", "member_ids": [cy.user_id], "position": 0}),
        )
        .await;
    assert_eq!(by_source.status, 201, "{}", by_source.text());
    owner
        .post(
            &app,
            "/api/v1/leads/assignment-rules",
            json!({"name": "Everyone else", "member_ids": [ann.user_id, bob.user_id], "position": 1}),
        )
        .await;

    let mut owners = Vec::new();
    for index in 0..4 {
        let lead =
            owner.create_lead(&app, json!({"first_name": format!("Web{index}"), "source": "web_form"})).await;
        owners.push(lead["owner_id"].as_str().unwrap().to_owned());
    }
    let (ann_id, bob_id) = (ann.user_id.to_string(), bob.user_id.to_string());
    assert_eq!(owners, [ann_id.clone(), bob_id.clone(), ann_id, bob_id]);
    let referral = owner.create_lead(&app, json!({"first_name": "Ref", "source": "referral"})).await;
    assert_eq!(referral["owner_id"], cy.user_id.to_string());
    let explicit = owner.create_lead(&app, json!({"first_name": "Mine", "owner_id": owner.user_id})).await;
    assert_eq!(explicit["owner_id"], owner.user_id.to_string(), "an owner given wins over the rules");
    assert_eq!(ann.all_leads(&app, "").await.len(), 2);

    // A rule's assignee hears about it.
    let events = crate::support::event_names(&app).await;
    assert_eq!(events.iter().filter(|name| *name == "lead.assigned").count(), 5);
    run_jobs(&app).await;
    let rules = owner.get(&app, "/api/v1/leads/assignment-rules").await.json();
    assert_eq!(rules.as_array().unwrap().len(), 2);
}
