//! The CSV import wizard in the console: upload (its CSRF token in the action's query
//! string), the report and the column mapping, live progress, and the result — through the
//! same services and background jobs as the API.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

use crate::support::{all_leads, create_lead};

fn file(rows: usize) -> Vec<u8> {
    let mut text = String::from("Vorname;Nachname;Mail;Spalte\n");
    for i in 0..rows {
        let email = if i == 3 { "not-an-address".to_owned() } else { format!("person{i}@example.com") };
        text.push_str(&format!("First{i};Last{i};{email};x{i}\n"));
    }
    text.into_bytes()
}

#[tokio::test]
async fn a_file_is_uploaded_checked_remapped_and_imported_through_the_wizard() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    create_lead(&app, &owner, json!({"first_name": "Existing", "email": "person5@example.com"})).await;
    let person = Client::logged_in(&app, &owner.email).await;
    let page = person.get(&app, "/admin/leads/import").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let csrf = page.csrf_token();
    let browser = person.clone().without_csrf();
    let upload = |path: String| {
        let browser = browser.clone();
        let app = &app;
        async move {
            browser
                .upload(
                    app,
                    &path,
                    &[("on_duplicate", "skip")],
                    "file",
                    ("people.csv", "text/csv", &file(20)),
                )
                .await
        }
    };
    let forged = upload("/admin/leads/import".to_owned()).await;
    assert_eq!(forged.status, 403, "an upload without the token: {}", forged.text());

    let uploaded = upload(format!("/admin/leads/import?csrf_token={csrf}")).await;
    assert_eq!(uploaded.status, 303, "{}", uploaded.text());
    let wizard = uploaded.header("location").unwrap().split('?').next().unwrap().to_owned();
    let running = person.get(&app, &wizard).await.text();
    assert!(running.contains("hx-trigger=\"every 1s\"") && running.contains("<progress"), "{running}");

    app.run_jobs().await;
    let panel = person
        .clone()
        .request(http::Method::GET, &wizard, &[("hx-request", "true")])
        .body(axum::body::Body::empty())
        .unwrap();
    let polled = app.send(panel).await.text();
    assert!(
        polled.starts_with("<div id=\"import-progress\" data-status=\"validated\""),
        "the panel alone: {polled}"
    );
    assert!(!polled.contains("every 1s"), "a finished step stops polling: {polled}");

    let checked = person.get(&app, &wizard).await;
    let html = checked.text();
    assert!(
        html.contains("id=\"import-problems\"") && html.contains("is not an e-mail address"),
        "the report: {html}"
    );
    let mapping = checked.form("mapping");
    assert_eq!(mapping.get("column:Mail"), Some("email"), "suggested from the header: {mapping:?}");
    assert_eq!(mapping.get("column:Spalte"), Some("ignore"));
    let remapped = person
        .post_form(&app, &format!("{wizard}/validate"), &mapping.with(&[("column:Spalte", "notes")]).pairs())
        .await;
    assert_eq!(remapped.status, 303, "{}", remapped.text());
    let bad = person
        .post_form(
            &app,
            &format!("{wizard}/validate"),
            &[("csrf_token", &csrf), ("column:Nope", "email"), ("on_duplicate", "skip")],
        )
        .await;
    assert_eq!(bad.status, 422, "a column the file does not have: {}", bad.text());
    let many: Vec<(String, String)> = (0..50).map(|i| (format!("column:c{i}"), "email".to_owned())).collect();
    let mut flood: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    flood.push(("csrf_token", &csrf));
    let flooded = person.post_form(&app, &format!("{wizard}/validate"), &flood).await;
    assert_eq!(flooded.status, 422, "more choices than columns: {}", flooded.text());
    app.run_jobs().await;

    let ready = person.get(&app, &wizard).await;
    assert!(ready.text().contains("Import 19 rows"), "20 rows, one bad: {}", ready.text());
    let committed = person.post_form(&app, &format!("{wizard}/commit"), &ready.form("commit").pairs()).await;
    assert_eq!(committed.status, 303, "{}", committed.text());
    app.run_jobs().await;
    let result = person.get(&app, &wizard).await.text();
    assert!(result.contains("id=\"import-created\">18<"), "{result}");
    let leads = all_leads(&app, &owner, "").await;
    assert_eq!(leads.len(), 19);
    let imported = leads.iter().find(|lead| lead["email"] == "person7@example.com").unwrap();
    assert_eq!(imported["notes"], "x7", "the remapped column");

    let again = person.post_form(&app, &format!("{wizard}/commit"), &[("csrf_token", &csrf)]).await;
    assert_eq!(again.status, 409, "a finished import is not committed twice: {}", again.text());
}

#[tokio::test]
async fn someone_who_may_not_import_sees_no_wizard() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await;
    let viewer = Client::logged_in(&app, "viewer@acme.test").await;
    let list = viewer.get(&app, "/admin/leads").await;
    assert!(!list.text().contains("Import CSV"), "{}", list.text());
    assert_eq!(viewer.get(&app, "/admin/leads/import").await.status, 403);
    let path = format!("/admin/leads/import?csrf_token={}", list.csrf_token());
    let sent = viewer
        .clone()
        .without_csrf()
        .upload(&app, &path, &[], "file", ("a.csv", "text/csv", b"Email\na@b.test\n"))
        .await;
    assert_eq!(sent.status, 403, "{}", sent.text());
    assert!(all_leads(&app, &owner, "").await.is_empty());
}

#[tokio::test]
async fn an_upload_takes_the_import_limit_not_the_body_limit() {
    let app = TestApp::with_settings(&[("BASEOPS_SERVER__BODY_LIMIT_BYTES", "4096")]).await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let csrf = person.get(&app, "/admin/leads/import").await.csrf_token();
    let big = file(2_000);
    assert!(big.len() > 40_000);
    let path = format!("/admin/leads/import?csrf_token={csrf}");
    let sent =
        person.clone().without_csrf().upload(&app, &path, &[], "file", ("big.csv", "text/csv", &big)).await;
    assert_eq!(sent.status, 303, "{}", sent.text());
    let form = person
        .post_form(&app, "/admin/leads/new", &[("csrf_token", &csrf), ("notes", &"x".repeat(8000))])
        .await;
    assert_eq!(form.status, 413, "other console forms keep the body limit: {}", form.text());
}
