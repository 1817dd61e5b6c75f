//! Assignment rules: round-robin and by source, evaluated when a lead is created or
//! imported; owners named on a lead or in an import must be members.

use baseops_test_support::{Client, TestApp};
use serde_json::{Value, json};

use crate::support::{all_leads, create_lead, upload_csv};

#[tokio::test]
async fn new_leads_without_an_owner_rotate_through_the_rule_members() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let org = owner.organization_id;
    let ann = app.member_with_email(org, "ann@acme.test", "sales").await;
    let bob = app.member_with_email(org, "bob@acme.test", "sales").await;
    let cy = app.member_with_email(org, "cy@acme.test", "sales").await;
    let outsider = app.organization("Other").await.owner;

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
    let rotation = owner
        .post(
            &app,
            "/api/v1/leads/assignment-rules",
            json!({"name": "Everyone else", "member_ids": [ann.user_id, bob.user_id], "position": 1}),
        )
        .await;
    assert_eq!(rotation.status, 201, "{}", rotation.text());

    let mut owners = Vec::new();
    for index in 0..4 {
        let lead =
            create_lead(&app, &owner, json!({"first_name": format!("Web{index}"), "source": "web_form"}))
                .await;
        owners.push(lead["owner_id"].as_str().unwrap().to_owned());
    }
    let (ann_id, bob_id) = (ann.user_id.to_string(), bob.user_id.to_string());
    assert_eq!(owners, [ann_id.clone(), bob_id.clone(), ann_id, bob_id]);
    let referral = create_lead(&app, &owner, json!({"first_name": "Ref", "source": "referral"})).await;
    assert_eq!(referral["owner_id"], cy.user_id.to_string());
    let explicit = create_lead(&app, &owner, json!({"first_name": "Mine", "owner_id": owner.user_id})).await;
    assert_eq!(explicit["owner_id"], owner.user_id.to_string(), "an owner given wins over the rules");
    assert_eq!(all_leads(&app, &ann, "").await.len(), 2);

    // A rule's assignee hears about it.
    let events = app.event_names().await;
    assert_eq!(events.iter().filter(|name| *name == "lead.assigned").count(), 5);
    app.run_jobs().await;
    let rules = owner.get(&app, "/api/v1/leads/assignment-rules").await;
    assert_eq!(rules.status, 200, "{}", rules.text());
    assert_eq!(rules.json().as_array().unwrap().len(), 2);
}

/// Runs the import's jobs and returns it, asserting its status.
async fn import_when(app: &TestApp, member: &Client, id: &str, status: &str) -> Value {
    app.run_jobs().await;
    let import = member.get(app, &format!("/api/v1/leads/imports/{id}")).await;
    assert_eq!(import.status, 200, "{}", import.text());
    let import = import.json();
    assert_eq!(import["status"], status, "{import}");
    import
}

#[tokio::test]
async fn an_import_takes_its_turns_in_the_rotation_single_creates_use() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let org = owner.organization_id;
    let ann = app.member_with_email(org, "ann@acme.test", "sales").await;
    let bob = app.member_with_email(org, "bob@acme.test", "sales").await;
    let cy = app.member_with_email(org, "cy@acme.test", "sales").await;
    // owner@other.test: a user, but of another organization.
    app.organization("Other").await;
    let rule = owner
        .post(
            &app,
            "/api/v1/leads/assignment-rules",
            json!({"name": "Everyone", "member_ids": [ann.user_id, bob.user_id]}),
        )
        .await;
    assert_eq!(rule.status, 201, "{}", rule.text());
    let (ann_id, bob_id, cy_id) = (ann.user_id.to_string(), bob.user_id.to_string(), cy.user_id.to_string());
    let before = create_lead(&app, &owner, json!({"first_name": "Before"})).await;
    assert_eq!(before["owner_id"], ann_id.as_str());

    // Row 4 names its owner (no turn taken); row 7 names someone who is not a member here.
    let file = b"First,Email,Owner\nR1,r1@example.com,\nR2,r2@example.com,\nR3,r3@example.com,CY@acme.test\nR4,r4@example.com,\nR5,r5@example.com,\nR6,r6@example.com,owner@other.test\n";
    let mapping = json!({"First": "first_name", "Email": "email", "Owner": "owner_email"}).to_string();
    let uploaded = upload_csv(&app, &owner, file, &[("mapping", &mapping)]).await;
    assert_eq!(uploaded.status, 202, "{}", uploaded.text());
    let id = uploaded.json()["id"].as_str().unwrap().to_owned();
    let validated = import_when(&app, &owner, &id, "validated").await;
    assert_eq!(
        (validated["report"]["rows_valid"].as_u64(), validated["report"]["rows_invalid"].as_u64()),
        (Some(5), Some(1))
    );
    let problem = &validated["report"]["problems"][0];
    assert_eq!(
        (problem["row"].as_u64(), problem["field"].as_str()),
        (Some(7), Some("owner_email")),
        "{problem}"
    );
    let commit = owner.post(&app, &format!("/api/v1/leads/imports/{id}/commit"), json!({})).await;
    assert_eq!(commit.status, 202, "{}", commit.text());
    let done = import_when(&app, &owner, &id, "completed").await;
    assert_eq!((done["report"]["created"].as_u64(), done["report"]["skipped"].as_u64()), (Some(5), Some(1)));

    let leads = all_leads(&app, &owner, "&sort=created_at").await;
    let owners: Vec<(&str, &str)> = leads
        .iter()
        .map(|lead| (lead["first_name"].as_str().unwrap(), lead["owner_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        owners,
        [
            ("Before", ann_id.as_str()),
            ("R1", bob_id.as_str()),
            ("R2", ann_id.as_str()),
            ("R3", cy_id.as_str()),
            ("R4", bob_id.as_str()),
            ("R5", ann_id.as_str()),
        ]
    );
    let after = create_lead(&app, &owner, json!({"first_name": "After"})).await;
    assert_eq!(after["owner_id"], bob_id.as_str(), "the rotation goes on where the import left it");
}

#[tokio::test]
async fn an_owner_named_on_a_new_lead_must_be_a_member() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let sales = app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let outsider = app.organization("Other").await.owner;

    // The organization's first lead, given to a member: the default pipeline is made for it.
    let first = create_lead(&app, &owner, json!({"first_name": "First", "owner_id": sales.user_id})).await;
    assert_eq!(first["owner_id"], sales.user_id.to_string());

    let refused =
        owner.post(&app, "/api/v1/leads", json!({"first_name": "X", "owner_id": outsider.user_id})).await;
    let problem = refused.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["owner_id"].is_array(), "{problem}");
    // Both wrong: the owner is named first, as before the check moved into the insert.
    let both = json!({"first_name": "X", "owner_id": outsider.user_id, "stage_id": uuid::Uuid::now_v7()});
    let problem = owner.post(&app, "/api/v1/leads", both).await.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["owner_id"].is_array() && problem["errors"]["stage_id"].is_null(), "{problem}");
    let problem = owner
        .post(&app, "/api/v1/leads", json!({"first_name": "X", "stage_id": uuid::Uuid::now_v7()}))
        .await
        .assert_problem(422, "validation_failed");
    assert!(problem["errors"]["stage_id"].is_array(), "{problem}");
    assert_eq!(all_leads(&app, &owner, "").await.len(), 1, "nothing else was written");
}
