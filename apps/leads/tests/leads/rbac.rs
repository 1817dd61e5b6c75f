//! Own/all scopes per default role, and organizations that never see each other.

use baseops_test_support::TestApp;
use serde_json::json;

use crate::support::{all_leads, create_lead};

#[tokio::test]
async fn each_default_role_reaches_what_its_scope_says() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let org = owner.organization_id;
    let sales = app.member_with_email(org, "sales@acme.test", "sales").await;
    let other_sales = app.member_with_email(org, "sales2@acme.test", "sales").await;
    let manager = app.member_with_email(org, "manager@acme.test", "manager").await;
    let marketer = app.member_with_email(org, "marketer@acme.test", "marketer").await;
    let viewer = app.member_with_email(org, "viewer@acme.test", "viewer").await;
    let accountant = app.member_with_email(org, "accountant@acme.test", "accountant").await;
    let admin = app.member_with_email(org, "admin@acme.test", "admin").await;
    let support = app.member_with_email(org, "support@acme.test", "support").await;

    let mine = create_lead(&app, &sales, json!({"first_name": "Mine"})).await;
    assert_eq!(mine["owner_id"], sales.user_id.to_string());
    let theirs = create_lead(&app, &other_sales, json!({"first_name": "Theirs"})).await;
    sales
        .post(
            &app,
            "/api/v1/leads",
            json!({"first_name": "For someone else", "owner_id": other_sales.user_id}),
        )
        .await
        .assert_problem(403, "forbidden");
    let managed =
        create_lead(&app, &manager, json!({"first_name": "Given", "owner_id": other_sales.user_id})).await;
    assert_eq!(managed["owner_id"], other_sales.user_id.to_string());

    // Sales sees and edits only their own leads; another's lead does not exist for them.
    let names = |leads: Vec<serde_json::Value>| {
        let mut names: Vec<String> =
            leads.iter().map(|l| l["first_name"].as_str().unwrap().to_owned()).collect();
        names.sort();
        names
    };
    assert_eq!(names(all_leads(&app, &sales, "").await), ["Mine"]);
    assert_eq!(names(all_leads(&app, &other_sales, "").await), ["Given", "Theirs"]);
    assert_eq!(names(all_leads(&app, &manager, "").await).len(), 3);
    let theirs_path = format!("/api/v1/leads/{}", theirs["id"].as_str().unwrap());
    sales.get(&app, &theirs_path).await.assert_problem(404, "not_found");
    sales.patch(&app, &theirs_path, json!({"company": "x"}), Some(1)).await.assert_problem(404, "not_found");
    let mine_path = format!("/api/v1/leads/{}", mine["id"].as_str().unwrap());
    assert_eq!(sales.patch(&app, &mine_path, json!({"company": "x"}), Some(1)).await.status, 200);
    sales.delete(&app, &mine_path).await.assert_problem(403, "forbidden");
    sales
        .post(&app, &format!("{mine_path}/assign"), json!({"owner_id": other_sales.user_id}))
        .await
        .assert_problem(403, "forbidden");

    // Marketers read and export everything but change nothing; viewers read; accountants don't.
    assert_eq!(all_leads(&app, &marketer, "").await.len(), 3);
    marketer
        .patch(&app, &theirs_path, json!({"company": "x"}), Some(1))
        .await
        .assert_problem(403, "forbidden");
    marketer.post(&app, "/api/v1/leads", json!({"first_name": "No"})).await.assert_problem(403, "forbidden");
    assert_eq!(marketer.get(&app, "/api/v1/leads/export").await.status, 200);
    assert_eq!(viewer.get(&app, &theirs_path).await.status, 200);
    viewer.get(&app, "/api/v1/leads/export").await.assert_problem(403, "forbidden");
    accountant.get(&app, "/api/v1/leads").await.assert_problem(403, "forbidden");
    // Support reads everything and changes nothing; the owner and admins reach everything.
    assert_eq!(all_leads(&app, &support, "").await.len(), 3);
    support
        .patch(&app, &theirs_path, json!({"company": "x"}), Some(1))
        .await
        .assert_problem(403, "forbidden");
    support.post(&app, "/api/v1/leads", json!({"first_name": "No"})).await.assert_problem(403, "forbidden");
    support.get(&app, "/api/v1/leads/export").await.assert_problem(403, "forbidden");
    assert_eq!(all_leads(&app, &owner, "").await.len(), 3);
    assert_eq!(all_leads(&app, &admin, "").await.len(), 3);
    let managed_path = format!("/api/v1/leads/{}", managed["id"].as_str().unwrap());
    let edited = admin.patch(&app, &managed_path, json!({"company": "Admin Co"}), Some(1)).await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    assert_eq!(admin.get(&app, "/api/v1/leads/export").await.status, 200);

    // The manager reassigns; the lead leaves the old owner's reach.
    let assigned =
        manager.post(&app, &format!("{theirs_path}/assign"), json!({"owner_id": sales.user_id})).await;
    assert_eq!(assigned.status, 200, "{}", assigned.text());
    assert_eq!(names(all_leads(&app, &sales, "").await), ["Mine", "Theirs"]);
    other_sales.get(&app, &theirs_path).await.assert_problem(404, "not_found");
    let board = sales.get(&app, "/api/v1/leads/board").await.json();
    let total: i64 = board["stages"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 2, "the board counts only leads in reach");
}

#[tokio::test]
async fn another_organizations_leads_do_not_exist() {
    let app = TestApp::new().await;
    let acme = app.organization("Acme").await.owner;
    let globex = app.organization("Globex").await.owner;
    let lead = create_lead(&app, &acme, json!({"first_name": "Secret", "email": "secret@acme.test"})).await;
    let id = lead["id"].as_str().unwrap();
    let path = format!("/api/v1/leads/{id}");
    globex.get(&app, &path).await.assert_problem(404, "not_found");
    globex.patch(&app, &path, json!({"company": "x"}), Some(1)).await.assert_problem(404, "not_found");
    globex.delete(&app, &path).await.assert_problem(404, "not_found");
    globex.get(&app, &format!("{path}/activities")).await.assert_problem(404, "not_found");
    globex.post(&app, &format!("{path}/convert"), json!({})).await.assert_problem(404, "not_found");
    let acme_stage = lead["stage_id"].as_str().unwrap();
    globex
        .post(&app, &format!("{path}/stage"), json!({"stage_id": acme_stage}))
        .await
        .assert_problem(404, "not_found");
    globex
        .post(&app, "/api/v1/leads", json!({"first_name": "Sneaky", "stage_id": acme_stage}))
        .await
        .assert_problem(422, "validation_failed");
    globex.delete(&app, &format!("/api/v1/leads/stages/{acme_stage}")).await.assert_problem(404, "not_found");
    assert!(all_leads(&app, &globex, "").await.is_empty());
    let export = globex.get(&app, "/api/v1/leads/export").await;
    assert_eq!(export.status, 200, "{}", export.text());
    assert!(export.text().starts_with("id,first_name"), "{}", export.text());
    assert_eq!(export.text().lines().count(), 1, "another organization's lead exported: {}", export.text());
    let dupes = globex.get(&app, &format!("/api/v1/leads/duplicates?lead_id={id}")).await;
    dupes.assert_problem(404, "not_found");
    // The header naming another organization is refused for a token.
    let foreign = globex
        .send(
            &app,
            http::Method::GET,
            "/api/v1/leads",
            None,
            &[("x-organization", &acme.organization_id.to_string())],
        )
        .await;
    foreign.assert_problem(404, "not_found");
    assert_eq!(acme.get(&app, &path).await.status, 200);
}
