//! Roles in the console: the list, the permission matrix as a form, and the same checks,
//! versions and refusals as the API.

use baseops_test_support::{Client, TestApp};
use serde_json::{Value, json};

/// The organization's role named `name`, as the API shows it.
async fn role(app: &TestApp, member: &Client, name: &str) -> Value {
    let roles = member.get(app, "/api/v1/roles").await.json();
    roles.as_array().unwrap().iter().find(|role| role["name"] == name).cloned().unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_role_is_created_and_edited_through_its_permission_matrix() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let list = person.get(&app, "/admin/roles").await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert!(list.text().contains(">Owner<") && list.text().contains("/admin/roles/new"), "{}", list.text());

    let page = person.get(&app, "/admin/roles/new").await;
    let html = page.text();
    assert!(
        html.contains("See the organization&#x27;s roles") || html.contains("See the organization's roles"),
        "descriptions: {html}"
    );
    assert!(
        html.contains("name=\"grant:leads.view\" value=\"own\""),
        "a scoped permission offers own records"
    );
    assert!(!html.contains("name=\"grant:roles.view\" value=\"own\""), "a global one does not");
    let form = page.form("role").with(&[
        ("name", "Field crew"),
        ("description", "Answers customers"),
        ("grant:leads.view", "all"),
        ("grant:tasks.edit", "own"),
    ]);
    let created = person.post_form(&app, "/admin/roles/new", &form.pairs()).await;
    assert_eq!(created.status, 303, "{}", created.text());
    let support = role(&app, &owner, "Field crew").await;
    assert_eq!(support["grants"], json!({"leads.view": "all", "tasks.edit": "own"}));
    let id = support["id"].as_str().unwrap();

    let path = format!("/admin/roles/{id}");
    let opened = person.get(&app, &path).await.form("role");
    assert_eq!(opened.get("grant:tasks.edit"), Some("own"));
    let saved = person
        .post_form(
            &app,
            &path,
            &opened.clone().with(&[("grant:tasks.edit", "none"), ("grant:tasks.view", "all")]).pairs(),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    assert_eq!(
        role(&app, &owner, "Field crew").await["grants"],
        json!({"leads.view": "all", "tasks.view": "all"})
    );

    // The form opened before that change overwrites nothing.
    let stale = person.post_form(&app, &path, &opened.with(&[("name", "Stale")]).pairs()).await;
    assert_eq!(stale.status, 412, "{}", stale.text());
    assert_eq!(
        role(&app, &owner, "Field crew").await["grants"],
        json!({"leads.view": "all", "tasks.view": "all"})
    );
}

#[tokio::test]
async fn a_refused_matrix_shows_each_problem_at_its_row_and_changes_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let form = person.get(&app, "/admin/roles/new").await.form("role");
    let bad = form.clone().with(&[("name", " "), ("grant:roles.view", "own"), ("grant:nope.never", "all")]);
    let refused = person.post_form(&app, "/admin/roles/new", &bad.pairs()).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    let html = refused.text();
    assert!(html.contains("id=\"role-name-error\""), "{html}");
    assert!(html.contains("cannot be limited to own records"), "{html}");
    let odd = person
        .post_form(
            &app,
            "/admin/roles/new",
            &form.with(&[("name", "Odd"), ("grant:leads.view", "most")]).pairs(),
        )
        .await;
    assert_eq!(odd.status, 422, "{}", odd.text());
    let roles = owner.get(&app, "/api/v1/roles").await.json();
    assert!(
        roles.as_array().unwrap().iter().all(|role| role["name"] != "Odd" && role["key"].is_string()),
        "{roles}"
    );
}

#[tokio::test]
async fn the_owner_role_keeps_every_grant_and_a_role_is_deleted_after_confirming() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let owners = role(&app, &owner, "Owner").await;
    let path = format!("/admin/roles/{}", owners["id"].as_str().unwrap());
    let page = person.get(&app, &path).await;
    assert!(
        page.text().contains("grants cannot change") && !page.text().contains("/delete\""),
        "{}",
        page.text()
    );
    let sent =
        person.post_form(&app, &path, &page.form("role").with(&[("grant:leads.view", "none")]).pairs()).await;
    assert_eq!(sent.status, 303, "{}", sent.text());
    assert_eq!(role(&app, &owner, "Owner").await["grants"], owners["grants"], "grants unchanged");

    let created =
        owner.post(&app, "/api/v1/roles", json!({"name": "Temp", "grants": {"leads.view": "all"}})).await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let confirm = person.get(&app, &format!("/admin/roles/{id}/delete")).await;
    assert!(confirm.text().contains("Delete the role"), "{}", confirm.text());
    let deleted =
        person.post_form(&app, &format!("/admin/roles/{id}/delete"), &confirm.form("delete").pairs()).await;
    assert_eq!(
        (deleted.status.as_u16(), deleted.header("location")),
        (303, Some("/admin/roles?done=deleted"))
    );
    assert!(role(&app, &owner, "Temp").await.is_null());
}

#[tokio::test]
async fn someone_who_may_not_manage_roles_sees_no_controls_and_is_refused() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let sales = Client::logged_in(&app, "sales@acme.test").await;
    let csrf = sales.get(&app, "/admin").await.csrf_token();
    let before = owner.get(&app, "/api/v1/roles").await.json();
    let target = before[0]["id"].as_str().unwrap().to_owned();
    for path in [
        "/admin/roles/new".to_owned(),
        format!("/admin/roles/{target}"),
        format!("/admin/roles/{target}/delete"),
    ] {
        let forged = sales
            .post_form(
                &app,
                &path,
                &[("csrf_token", &csrf), ("name", "Mine"), ("version", "1"), ("grant:roles.manage", "all")],
            )
            .await;
        assert_eq!(forged.status, 403, "{path}: {}", forged.text());
    }
    assert_eq!(owner.get(&app, "/api/v1/roles").await.json(), before);
}
