//! The organization's settings page: the API's checks beside the fields, the version read
//! as `If-Match`, and the same refusal for someone who may not edit the organization.

use baseops_test_support::{Client, TestApp};
use serde_json::json;

#[tokio::test]
async fn the_settings_are_saved_checked_and_never_overwrite_a_newer_change() {
    let app = TestApp::new().await;
    let org = app.organization("Acme").await;
    let owner = org.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let page = person.get(&app, "/admin/settings").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let form = page.form("settings");
    assert_eq!(form.get("version"), Some("1"), "{form:?}");

    let bad = person
        .post_form(
            &app,
            "/admin/settings",
            &form.clone().with(&[("currency", "XYZ"), ("slug", "Not A Slug")]).pairs(),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert!(
        bad.text().contains("id=\"settings-currency-error\"")
            && bad.text().contains("id=\"settings-slug-error\""),
        "{}",
        bad.text()
    );

    let saved = person
        .post_form(
            &app,
            "/admin/settings",
            &form
                .clone()
                .with(&[("name", "Acme Europe"), ("currency", "eur"), ("time_zone", "Europe/Berlin")])
                .pairs(),
        )
        .await;
    assert_eq!((saved.status.as_u16(), saved.header("location")), (303, Some("/admin/settings?done=saved")));
    let listed = owner.get(&app, "/api/v1/organizations").await.json();
    let acme =
        listed.as_array().unwrap().iter().find(|o| o["id"] == json!(owner.organization_id)).unwrap().clone();
    assert_eq!(
        (acme["name"].as_str(), acme["currency"].as_str(), acme["time_zone"].as_str()),
        (Some("Acme Europe"), Some("EUR"), Some("Europe/Berlin"))
    );

    let stale = person.post_form(&app, "/admin/settings", &form.with(&[("name", "Stale")]).pairs()).await;
    assert_eq!(stale.status, 412, "{}", stale.text());
    let listed = owner.get(&app, "/api/v1/organizations").await.json();
    assert!(listed.as_array().unwrap().iter().any(|o| o["name"] == "Acme Europe"), "{listed}");
}

#[tokio::test]
async fn someone_who_may_not_edit_the_organization_has_no_settings_page() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let sales = Client::logged_in(&app, "sales@acme.test").await;
    let home = sales.get(&app, "/admin").await;
    assert!(
        !home.text().contains("/admin/settings") && !home.text().contains("&#x2f;admin&#x2f;settings"),
        "{}",
        home.text()
    );
    assert_eq!(sales.get(&app, "/admin/settings").await.status, 403);
    let forged = sales
        .post_form(
            &app,
            "/admin/settings",
            &[
                ("csrf_token", &home.csrf_token()),
                ("name", "Mine"),
                ("slug", "mine"),
                ("currency", "USD"),
                ("time_zone", "UTC"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    let listed = owner.get(&app, "/api/v1/organizations").await.json();
    assert_eq!(listed[0]["name"], "Acme");
}
