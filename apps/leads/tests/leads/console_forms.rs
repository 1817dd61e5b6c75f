//! Creating, editing and deleting leads in the console: the API's checks beside the
//! fields, the version read as `If-Match`, and the same refusals for a forged request.

use baseops_test_support::{Client, FormFields, TestApp, TestResponse};
use serde_json::json;

use crate::support::{all_leads, create_lead};

async fn submit(app: &TestApp, person: &Client, path: &str, form: &FormFields) -> TestResponse {
    person.post_form(app, path, &form.pairs()).await
}

#[tokio::test]
async fn a_new_lead_is_created_once_from_its_form() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let page = person.get(&app, "/admin/leads/new").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let form = page.form("lead");
    let filled = form.clone().with(&[
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("email", "ADA@Engines.test"),
        ("value", "1234.50"),
        ("currency", "EUR"),
        ("tags", "vip, engines"),
        ("score", "70"),
    ]);
    let created = submit(&app, &person, "/admin/leads/new", &filled).await;
    assert_eq!(created.status, 303, "{}", created.text());
    let location = created.header("location").unwrap().to_owned();
    assert!(location.starts_with("/admin/leads/") && location.ends_with("?done=created"), "{location}");
    let shown = person.get(&app, &location).await.text();
    assert!(shown.contains("The lead is created.") && shown.contains("1,234.50 EUR"), "{shown}");

    // The same form sent twice (a double click, a resend) makes one lead.
    let again = submit(&app, &person, "/admin/leads/new", &filled).await;
    assert_eq!(again.header("location"), Some(location.as_str()));
    let leads = all_leads(&app, &owner, "").await;
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0]["email"], "ada@engines.test");
    assert_eq!(leads[0]["value_amount"], 123_450);
    assert_eq!(leads[0]["tags"], json!(["vip", "engines"]));
}

#[tokio::test]
async fn a_refused_form_shows_each_problem_beside_its_field_and_creates_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let form = person.get(&app, "/admin/leads/new").await.form("lead");
    let bad = form.clone().with(&[
        ("last_name", "Typed"),
        ("email", "not-an-address"),
        ("value", "12.345"),
        ("score", "many"),
    ]);
    let refused = submit(&app, &person, "/admin/leads/new", &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    let html = refused.text();
    for field in ["email", "value", "score"] {
        assert!(html.contains(&format!("id=\"lead-{field}-error\"")), "{field}: {html}");
    }
    assert!(html.contains("value=\"Typed\""), "what was typed stays: {html}");
    let nothing = submit(&app, &person, "/admin/leads/new", &form.clone().with(&[("website", "")])).await;
    assert_eq!(nothing.status, 422, "a lead needs a name, e-mail, phone or company");
    assert!(all_leads(&app, &owner, "").await.is_empty());
}

#[tokio::test]
async fn an_edit_saves_with_the_version_read_and_a_stale_form_overwrites_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let lead = create_lead(&app, &owner, json!({"first_name": "Ada", "last_name": "Lovelace"})).await;
    let id = lead["id"].as_str().unwrap();
    let person = Client::logged_in(&app, &owner.email).await;
    let edit = format!("/admin/leads/{id}/edit");
    let form = person.get(&app, &edit).await.form("lead");
    assert_eq!(form.get("version"), Some("1"), "{form:?}");

    let saved = submit(&app, &person, &edit, &form.clone().with(&[("company", "Engines Ltd")])).await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    assert_eq!(saved.header("location"), Some(format!("/admin/leads/{id}?done=saved").as_str()));

    // Someone changes the lead; the form opened before that must not undo their change.
    let fresh = person.get(&app, &edit).await.form("lead");
    let theirs =
        owner.patch(&app, &format!("/api/v1/leads/{id}"), json!({"title": "Countess"}), Some(2)).await;
    assert_eq!(theirs.status, 200, "{}", theirs.text());
    let stale = submit(&app, &person, &edit, &fresh.clone().with(&[("company", "Overwritten")])).await;
    assert_eq!(stale.status, 412, "{}", stale.text());
    assert!(stale.text().contains("Someone changed this lead"), "{}", stale.text());
    let now = owner.get(&app, &format!("/api/v1/leads/{id}")).await.json();
    assert_eq!((now["title"].as_str(), now["company"].as_str()), (Some("Countess"), Some("Engines Ltd")));

    let cleared =
        submit(&app, &person, &edit, &person.get(&app, &edit).await.form("lead").with(&[("company", "")]))
            .await;
    assert_eq!(cleared.status, 303, "{}", cleared.text());
    assert!(
        owner.get(&app, &format!("/api/v1/leads/{id}")).await.json()["company"].is_null(),
        "blank clears"
    );
}

#[tokio::test]
async fn a_delete_asks_first_and_deletes_only_what_was_confirmed() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let lead = create_lead(&app, &owner, json!({"first_name": "Ada", "last_name": "Lovelace"})).await;
    let id = lead["id"].as_str().unwrap();
    let person = Client::logged_in(&app, &owner.email).await;
    let confirm = format!("/admin/leads/{id}/delete");
    let page = person.get(&app, &confirm).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Delete Ada Lovelace?"), "{}", page.text());
    let form = page.form("delete");

    owner.patch(&app, &format!("/api/v1/leads/{id}"), json!({"score": 5}), Some(1)).await;
    let stale = submit(&app, &person, &confirm, &form).await;
    assert_eq!(stale.status, 412, "{}", stale.text());
    assert_eq!(owner.get(&app, &format!("/api/v1/leads/{id}")).await.status, 200, "still there");

    let deleted = submit(&app, &person, &confirm, &stale.form("delete")).await;
    assert_eq!(deleted.status, 303, "{}", deleted.text());
    assert_eq!(deleted.header("location"), Some("/admin/leads?done=deleted"));
    assert_eq!(owner.get(&app, &format!("/api/v1/leads/{id}")).await.status, 404);
    assert!(person.get(&app, "/admin/leads?done=deleted").await.text().contains("The lead is deleted."));
}

#[tokio::test]
async fn a_viewer_sees_no_edit_controls_and_a_forged_form_changes_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await;
    let lead = create_lead(&app, &owner, json!({"first_name": "Ada", "last_name": "Lovelace"})).await;
    let id = lead["id"].as_str().unwrap();
    let viewer = Client::logged_in(&app, "viewer@acme.test").await;
    let detail = viewer.get(&app, &format!("/admin/leads/{id}")).await.text();
    assert!(!detail.contains("/edit\"") && !detail.contains("/delete\""), "{detail}");
    assert!(!viewer.get(&app, "/admin/leads").await.text().contains("/admin/leads/new"));
    let csrf = viewer.get(&app, "/admin/leads").await.csrf_token();
    for (path, fields) in [
        ("/admin/leads/new".to_owned(), vec![("csrf_token", csrf.as_str()), ("last_name", "Forged")]),
        (
            format!("/admin/leads/{id}/edit"),
            vec![("csrf_token", csrf.as_str()), ("last_name", "Forged"), ("version", "1")],
        ),
        (format!("/admin/leads/{id}/delete"), vec![("csrf_token", csrf.as_str()), ("version", "1")]),
    ] {
        let forged = viewer.post_form(&app, &path, &fields).await;
        assert_eq!(forged.status, 403, "{path}: {}", forged.text());
        assert_eq!(viewer.get(&app, &path).await.status, 403, "{path}");
    }
    let leads = all_leads(&app, &owner, "").await;
    assert_eq!((leads.len(), leads[0]["last_name"].as_str()), (1, Some("Lovelace")));
}

#[tokio::test]
async fn a_leads_page_logs_to_its_timeline_and_converts_a_won_lead() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let lead = create_lead(&app, &owner, json!({"first_name": "Ada", "last_name": "Lovelace"})).await;
    let id = lead["id"].as_str().unwrap();
    let person = Client::logged_in(&app, &owner.email).await;
    let path = format!("/admin/leads/{id}");
    let page = person.get(&app, &path).await;
    assert!(!page.text().contains("id=\"convert\""), "an open lead is not converted");
    let form = page.form("activity");
    assert_eq!(form.get("kind"), Some("note"));

    let empty =
        submit(&app, &person, &format!("{path}/activities"), &form.clone().with(&[("body", " ")])).await;
    assert_eq!(empty.status, 422, "{}", empty.text());
    assert!(empty.text().contains("id=\"activity-body-error\""), "{}", empty.text());
    let call =
        form.with(&[("kind", "call"), ("body", "Called about <the offer>"), ("duration_minutes", "15")]);
    let logged = submit(&app, &person, &format!("{path}/activities"), &call).await;
    assert_eq!(
        (logged.status.as_u16(), logged.header("location")),
        (303, Some(format!("{path}?done=logged").as_str()))
    );
    let timeline = owner.get(&app, &format!("/api/v1/leads/{id}/activities")).await.json();
    let logged = timeline["items"].as_array().unwrap().iter().find(|entry| entry["kind"] == "call").cloned();
    assert_eq!(logged.unwrap()["body"], "Called about <the offer>");
    assert!(person.get(&app, &path).await.text().contains("Called about &lt;the offer&gt;"));

    let stages = crate::support::stages(&app, &owner).await;
    let won =
        owner.post(&app, &format!("/api/v1/leads/{id}/stage"), json!({"stage_id": stages["Won"]})).await;
    assert_eq!(won.status, 200, "{}", won.text());
    let page = person.get(&app, &path).await;
    let converted = submit(&app, &person, &format!("{path}/convert"), &page.form("convert")).await;
    assert_eq!(converted.status, 303, "{}", converted.text());
    let customer = converted.header("location").unwrap().to_owned();
    assert!(customer.starts_with("/admin/customers/"), "{customer}");
    assert_eq!(person.get(&app, &customer).await.status, 200);
    let again = submit(&app, &person, &format!("{path}/convert"), &page.form("convert")).await;
    assert_eq!(again.status, 412, "the form's version is gone: {}", again.text());
    let after = person.get(&app, &path).await.text();
    assert!(after.contains(&format!("href=\"{customer}\"")), "{after}");
}

#[tokio::test]
async fn the_form_places_a_new_lead_and_an_edit_changes_its_owner_and_stage_at_once() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let sales = app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let stage = crate::support::stages(&app, &owner).await;
    let person = Client::logged_in(&app, &owner.email).await;

    let form = person.get(&app, "/admin/leads/new").await.form("lead");
    let sales_id = sales.user_id.to_string();
    let placed = form.with(&[
        ("first_name", "Ada"),
        ("owner_id", sales_id.as_str()),
        ("stage_id", stage["Qualified"].as_str()),
    ]);
    let created = submit(&app, &person, "/admin/leads/new", &placed).await;
    assert_eq!(created.status, 303, "{}", created.text());
    let lead = all_leads(&app, &owner, "").await.remove(0);
    assert_eq!(
        (lead["owner_id"].as_str(), lead["stage_id"].as_str()),
        (Some(sales_id.as_str()), Some(stage["Qualified"].as_str()))
    );

    let id = lead["id"].as_str().unwrap();
    let edit = person.get(&app, &format!("/admin/leads/{id}/edit")).await.form("lead");
    assert_eq!(edit.get("owner_id"), Some(sales_id.as_str()), "the form shows the owner");
    // Lost without a reason: refused beside the field, and nothing saved, not even the name.
    let lost = edit.clone().with(&[
        ("first_name", "Changed"),
        ("stage_id", stage["Lost"].as_str()),
        ("owner_id", ""),
    ]);
    let refused = submit(&app, &person, &format!("/admin/leads/{id}/edit"), &lost).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains("is required when a lead is lost"), "{}", refused.text());
    let unchanged = all_leads(&app, &owner, "").await.remove(0);
    assert_eq!(
        (unchanged["first_name"].as_str(), unchanged["owner_id"].as_str()),
        (Some("Ada"), Some(sales_id.as_str()))
    );

    let lost = lost.with(&[("lost_reason", "Chose a rival")]);
    let saved = submit(&app, &person, &format!("/admin/leads/{id}/edit"), &lost).await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let after = all_leads(&app, &owner, "").await.remove(0);
    assert_eq!(after["first_name"], "Changed");
    assert_eq!(after["owner_id"], serde_json::Value::Null);
    assert_eq!(
        (after["stage_id"].as_str(), after["status"].as_str(), after["lost_reason"].as_str()),
        (Some(stage["Lost"].as_str()), Some("lost"), Some("Chose a rival"))
    );
    assert_eq!(app.audit(Some(owner.organization_id), "lead.assign").await.len(), 1);
    assert_eq!(app.audit(Some(owner.organization_id), "lead.stage_change").await.len(), 1);

    // A sales rep may not assign: no owner field.
    let rep = Client::logged_in(&app, "sales@acme.test").await;
    let theirs = rep.get(&app, "/admin/leads/new").await.text();
    assert!(!theirs.contains("name=\"owner_id\"") && theirs.contains("name=\"stage_id\""), "{theirs}");
}
