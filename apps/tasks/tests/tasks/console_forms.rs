//! Creating, editing and deleting tasks in the console: the API's checks beside the fields,
//! the version read as `If-Match`, sub-tasks and tasks about a lead, and the same refusals
//! for a forged request.

use baseops_test_support::{Client, FormFields, TestApp, TestResponse};
use serde_json::json;

use crate::support::{create_task, task};

async fn submit(app: &TestApp, person: &Client, path: &str, form: &FormFields) -> TestResponse {
    person.post_form(app, path, &form.pairs()).await
}

/// The id a redirect to a task's page names.
fn task_id(response: &TestResponse) -> String {
    assert_eq!(response.status, 303, "{}", response.text());
    let location = response.header("location").unwrap();
    location.trim_start_matches("/admin/tasks/").split('?').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_new_task_is_created_once_from_its_form() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let form = person.get(&app, "/admin/tasks/new").await.form("task");
    assert_eq!(form.get("priority"), Some("normal"));
    let filled = form.with(&[
        ("title", "Send the <offer>"),
        ("description", "**Today**"),
        ("priority", "high"),
        ("due_at", "2026-12-31T17:00"),
        ("estimate_minutes", "45"),
        ("labels", "sales, q4"),
    ]);
    let created = submit(&app, &person, "/admin/tasks/new", &filled).await;
    let id = task_id(&created);
    let again = submit(&app, &person, "/admin/tasks/new", &filled).await;
    assert_eq!(task_id(&again), id, "the same form sent twice makes one task");
    let stored = task(&app, &owner, &id).await;
    assert_eq!(stored["title"], "Send the <offer>");
    assert_eq!(stored["priority"], "high");
    assert_eq!(stored["due_at"], "2026-12-31T17:00:00Z");
    assert_eq!(stored["estimate_minutes"], 45);
    assert_eq!(stored["labels"], json!(["q4", "sales"]));
    let page = person.get(&app, &format!("/admin/tasks/{id}?done=created")).await.text();
    assert!(page.contains("The task is created.") && page.contains("<strong>Today</strong>"), "{page}");
    let listed = owner.get(&app, "/api/v1/tasks").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_refused_form_shows_each_problem_beside_its_field_and_creates_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let form = person.get(&app, "/admin/tasks/new").await.form("task");
    let unparsable = submit(
        &app,
        &person,
        "/admin/tasks/new",
        &form.clone().with(&[("title", "Kept"), ("due_at", "tomorrow"), ("estimate_minutes", "lots")]),
    )
    .await;
    assert_eq!(unparsable.status, 422, "{}", unparsable.text());
    let html = unparsable.text();
    assert!(
        html.contains("id=\"task-due_at-error\"") && html.contains("id=\"task-estimate_minutes-error\""),
        "{html}"
    );
    assert!(html.contains("value=\"Kept\""), "what was typed stays: {html}");
    let invalid = submit(
        &app,
        &person,
        "/admin/tasks/new",
        &form.clone().with(&[("title", "  "), ("estimate_minutes", "-5")]),
    )
    .await;
    assert_eq!(invalid.status, 422, "{}", invalid.text());
    let html = invalid.text();
    assert!(
        html.contains("id=\"task-title-error\"") && html.contains("id=\"task-estimate_minutes-error\""),
        "the API's checks: {html}"
    );
    let none = owner.get(&app, "/api/v1/tasks").await.json();
    assert_eq!(none["items"], json!([]));
}

#[tokio::test]
async fn an_edit_saves_with_the_version_read_and_a_stale_form_overwrites_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let created =
        create_task(&app, &owner, json!({"title": "Draft", "description": "Keep *this*", "labels": ["a"]}))
            .await;
    let id = created["id"].as_str().unwrap();
    let person = Client::logged_in(&app, &owner.email).await;
    let edit = format!("/admin/tasks/{id}/edit");
    let form = person.get(&app, &edit).await.form("task");
    assert_eq!((form.get("description"), form.get("version")), (Some("Keep *this*"), Some("1")));
    let saved = submit(&app, &person, &edit, &form.with(&[("title", "Final")])).await;
    assert_eq!(task_id(&saved), id);
    let stored = task(&app, &owner, id).await;
    assert_eq!(
        (stored["title"].as_str(), stored["description"].as_str()),
        (Some("Final"), Some("Keep *this*"))
    );

    let opened = person.get(&app, &edit).await.form("task");
    let theirs =
        owner.patch(&app, &format!("/api/v1/tasks/{id}"), json!({"priority": "urgent"}), Some(2)).await;
    assert_eq!(theirs.status, 200, "{}", theirs.text());
    let stale =
        submit(&app, &person, &edit, &opened.with(&[("title", "Overwritten"), ("priority", "low")])).await;
    assert_eq!(stale.status, 412, "{}", stale.text());
    assert!(stale.text().contains("Someone changed this task"), "{}", stale.text());
    let stored = task(&app, &owner, id).await;
    assert_eq!((stored["title"].as_str(), stored["priority"].as_str()), (Some("Final"), Some("urgent")));
}

#[tokio::test]
async fn sub_tasks_and_tasks_about_a_lead_start_from_their_pages() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let person = Client::logged_in(&app, &owner.email).await;
    let parent = create_task(&app, &owner, json!({"title": "Launch"})).await;
    let parent_id = parent["id"].as_str().unwrap();
    let page = person.get(&app, &format!("/admin/tasks/{parent_id}")).await.text();
    let start = format!("/admin/tasks/new?parent={parent_id}");
    assert!(page.contains(&start.replace('&', "&amp;")), "{page}");
    let form = person.get(&app, &start).await.form("task");
    let child =
        task_id(&submit(&app, &person, "/admin/tasks/new", &form.with(&[("title", "Write the post")])).await);
    assert_eq!(task(&app, &owner, &child).await["parent_id"], parent_id);

    // A task with sub-tasks is not deleted; the confirm page says why.
    let confirm = person.get(&app, &format!("/admin/tasks/{parent_id}/delete")).await;
    let refused =
        submit(&app, &person, &format!("/admin/tasks/{parent_id}/delete"), &confirm.form("delete")).await;
    assert_eq!(refused.status, 409, "{}", refused.text());
    let deleted =
        submit(&app, &person, &format!("/admin/tasks/{child}/delete"), &confirm.form("delete")).await;
    assert_eq!(
        (deleted.status.as_u16(), deleted.header("location")),
        (303, Some("/admin/tasks?done=deleted"))
    );
    assert_eq!(owner.get(&app, &format!("/api/v1/tasks/{child}")).await.status, 404);

    let lead =
        owner.post(&app, "/api/v1/leads", json!({"first_name": "Ada", "last_name": "Lovelace"})).await.json();
    let lead_id = lead["id"].as_str().unwrap();
    let lead_page = person.get(&app, &format!("/admin/leads/{lead_id}")).await.text();
    let about = format!("/admin/tasks/new?related_type=lead&amp;related_id={lead_id}");
    assert!(lead_page.contains(&about), "{lead_page}");
    let form = person.get(&app, &about.replace("&amp;", "&")).await.form("task");
    let call =
        task_id(&submit(&app, &person, "/admin/tasks/new", &form.with(&[("title", "Call Ada")])).await);
    let stored = task(&app, &owner, &call).await;
    assert_eq!(
        (stored["related_type"].as_str(), stored["related_id"].as_str()),
        (Some("lead"), Some(lead_id))
    );
    let shown = person.get(&app, &format!("/admin/tasks/{call}")).await.text();
    assert!(
        shown.contains(&format!("href=\"/admin/leads/{lead_id}\""))
            || shown.contains(&format!("href=\"&#x2f;admin&#x2f;leads&#x2f;{lead_id}\"")),
        "{shown}"
    );
}

#[tokio::test]
async fn a_viewer_sees_no_edit_controls_and_a_forged_form_changes_nothing() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await;
    let created = create_task(&app, &owner, json!({"title": "Theirs"})).await;
    let id = created["id"].as_str().unwrap();
    let viewer = Client::logged_in(&app, "viewer@acme.test").await;
    let detail = viewer.get(&app, &format!("/admin/tasks/{id}")).await;
    assert_eq!(detail.status, 200);
    let html = detail.text();
    assert!(!html.contains("/edit\"") && !html.contains("/delete\"") && !html.contains("?parent="), "{html}");
    let csrf = detail.csrf_token();
    for path in [
        "/admin/tasks/new".to_owned(),
        format!("/admin/tasks/{id}/edit"),
        format!("/admin/tasks/{id}/delete"),
    ] {
        let forged = viewer
            .post_form(&app, &path, &[("csrf_token", &csrf), ("title", "Forged"), ("version", "1")])
            .await;
        assert_eq!(forged.status, 403, "{path}: {}", forged.text());
        assert_eq!(viewer.get(&app, &path).await.status, 403, "{path}");
    }
    assert_eq!(task(&app, &owner, id).await["title"], "Theirs");
}

#[tokio::test]
async fn a_tasks_page_shows_comments_attachments_and_activity_and_takes_a_comment() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await;
    let created = create_task(&app, &owner, json!({"title": "Review"})).await;
    let id = created["id"].as_str().unwrap();
    let pdf = b"%PDF-1.7\nhello".to_vec();
    let request = owner
        .request(http::Method::POST, &format!("/api/v1/tasks/{id}/attachments?file_name=notes.pdf"), &[])
        .header("content-type", "application/pdf")
        .body(axum::body::Body::from(pdf.clone()))
        .unwrap();
    let attached = app.send(request).await;
    assert_eq!(attached.status, 201, "{}", attached.text());
    let attachment = attached.json()["id"].as_str().unwrap().to_owned();

    let person = Client::logged_in(&app, &owner.email).await;
    let path = format!("/admin/tasks/{id}");
    let page = person.get(&app, &path).await;
    let html = page.text();
    assert!(html.contains("notes.pdf") && html.contains("task.create"), "attachments and activity: {html}");
    let download = person.get(&app, &format!("/admin/tasks/{id}/attachments/{attachment}")).await;
    assert_eq!((download.status.as_u16(), download.body.as_slice()), (200, pdf.as_slice()));
    assert!(download.header("content-disposition").unwrap().starts_with("attachment"));

    let empty = person
        .post_form(&app, &format!("{path}/comments"), &page.form("comment").with(&[("body", "  ")]).pairs())
        .await;
    assert_eq!(empty.status, 422, "{}", empty.text());
    assert!(empty.text().contains("id=\"comment-body-error\""), "{}", empty.text());
    let form = page.form("comment").with(&[("body", "Looks **good** <script>x</script>")]);
    let written = person.post_form(&app, &format!("{path}/comments"), &form.pairs()).await;
    assert_eq!(
        (written.status.as_u16(), written.header("location")),
        (303, Some(format!("{path}?done=commented").as_str()))
    );
    let shown = person.get(&app, &path).await.text();
    assert!(shown.contains("<strong>good</strong>") && !shown.contains("<script>x"), "{shown}");
    let listed = owner.get(&app, &format!("/api/v1/tasks/{id}/comments")).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let viewer = Client::logged_in(&app, "viewer@acme.test").await;
    let seen = viewer.get(&app, &path).await;
    assert!(!seen.text().contains("id=\"comment\""), "no comment form without tasks.comment");
    let forged = viewer
        .post_form(
            &app,
            &format!("{path}/comments"),
            &[("csrf_token", &seen.csrf_token()), ("body", "Forged")],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert_eq!(
        owner.get(&app, &format!("/api/v1/tasks/{id}/comments")).await.json().as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn the_ticked_tasks_move_together_or_not_at_all() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await;
    let a = create_task(&app, &owner, json!({"title": "Report one"})).await;
    let b = create_task(&app, &owner, json!({"title": "Report two"})).await;
    let c = create_task(&app, &owner, json!({"title": "Other"})).await;
    let person = Client::logged_in(&app, &owner.email).await;
    let list = person.get(&app, "/admin/tasks?q=report").await;
    let form = list.form("bulk");
    assert!(list.text().contains("action=\"&#x2f;admin&#x2f;tasks&#x2f;bulk?q=report\""), "{}", list.text());
    let (a, b, c) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap(), c["id"].as_str().unwrap());
    let mut ticked = form.clone().with(&[("to", "in_progress")]);
    ticked.0.extend([("ids".to_owned(), a.to_owned()), ("ids".to_owned(), b.to_owned())]);
    let moved = person.post_form(&app, "/admin/tasks/bulk?q=report", &ticked.pairs()).await;
    assert_eq!(
        (moved.status.as_u16(), moved.header("location")),
        (303, Some("/admin/tasks?q=report&done=moved"))
    );
    for (id, status) in [(a, "in_progress"), (b, "in_progress"), (c, "todo")] {
        assert_eq!(task(&app, &owner, id).await["status"], status, "{id}");
    }

    let mut unknown = form.with(&[("to", "nowhere")]);
    unknown.0.push(("ids".to_owned(), c.to_owned()));
    let refused = person.post_form(&app, "/admin/tasks/bulk?q=report", &unknown.pairs()).await;
    assert!(refused.status.is_client_error(), "{}", refused.text());
    assert!(
        refused.text().contains("alert-error") && refused.text().contains("Report one"),
        "the list with the reason: {}",
        refused.text()
    );
    assert_eq!(task(&app, &owner, c).await["status"], "todo");

    let viewer = Client::logged_in(&app, "viewer@acme.test").await;
    let seen = viewer.get(&app, "/admin/tasks").await;
    assert!(!seen.text().contains("id=\"bulk\""), "{}", seen.text());
    let forged = viewer
        .post_form(
            &app,
            "/admin/tasks/bulk",
            &[("csrf_token", &seen.csrf_token()), ("ids", c), ("to", "done")],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert_eq!(task(&app, &owner, c).await["status"], "todo");
}
