//! Attaching files to a task and deleting them from its console page: the upload form's
//! CSRF token in its action, the API's checks and storage, the route's own body limit, and
//! the same refusals for a forged request.

use baseops_test_support::{Client, TestApp, TestResponse};
use serde_json::{Value, json};

use crate::support::{SMALL_BODY_LIMIT, SMALL_MAX_FILE, create_task, id_of, pdf, small_limits_app, upload};

/// A file as a browser sends it: its name, media type and bytes.
type File<'a> = (&'a str, &'a str, &'a [u8]);

/// The `action` of the page's `<form id="{id}">`, as a browser resolves it.
fn action_of(page: &TestResponse, id: &str) -> String {
    let html = page.text();
    let start = html.find(&format!("<form id=\"{id}\"")).unwrap_or_else(|| panic!("no form #{id}: {html}"));
    let tag = &html[start..start + html[start..].find('>').unwrap()];
    let action = tag.split(" action=\"").nth(1).expect("an action").split('"').next().unwrap();
    action.replace("&#x2f;", "/").replace("&amp;", "&")
}

/// Sends the page's upload form as a browser does: the file as a part, the cookie, and no
/// `X-CSRF-Token` header (the token is in the action).
async fn attach(app: &TestApp, person: &Client, action: &str, file: File<'_>) -> TestResponse {
    person.clone().without_csrf().upload(app, action, &[], "file", file).await
}

/// The attachments of a task as the API lists them.
async fn listed(app: &TestApp, owner: &Client, task: &str) -> Vec<Value> {
    let response = owner.get(app, &format!("/api/v1/tasks/{task}/attachments")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().as_array().unwrap().clone()
}

/// The files stored for a task, on disk.
fn stored_files(app: &TestApp, owner: &Client, task: &str) -> usize {
    let dir = app.files_dir().join("media/tasks").join(owner.organization_id.to_string()).join(task);
    std::fs::read_dir(dir).map_or(0, Iterator::count)
}

/// Asserts the page answers `status` with `message` in the upload form's alert.
fn assert_refused(response: &TestResponse, status: u16, message: &str) {
    let html = response.text();
    assert_eq!(response.status.as_u16(), status, "{html}");
    let alert = format!("<p class=\"alert alert-error\" role=\"alert\">{message}");
    let at = html.find(&alert).unwrap_or_else(|| panic!("no alert {message:?}: {html}"));
    assert!(html[at..].trim_start_matches(&alert).contains("<form id=\"attachment\""), "by the form: {html}");
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"attachment-file-error\""), "{html}");
}

#[tokio::test]
async fn a_file_attached_on_the_tasks_page_downloads_back_identical_above_the_body_limit() {
    let app = small_limits_app().await;
    let owner = app.organization("Acme").await.owner;
    let task = id_of(&create_task(&app, &owner, json!({"title": "Scans"})).await);
    let person = Client::logged_in(&app, &owner.email).await;
    let path = format!("/admin/tasks/{task}");
    let page = person.get(&app, &path).await;
    assert!(page.text().contains("No attachments yet."), "{}", page.text());
    let action = action_of(&page, "attachment");
    assert_eq!(action, format!("{path}/attachments?csrf_token={}", page.csrf_token()));

    // Ten times the global body limit: the route takes the file limit instead.
    let file = pdf(10 * SMALL_BODY_LIMIT);
    let attached = attach(&app, &person, &action, ("scan 1.pdf", "application/pdf", &file)).await;
    assert_eq!(
        (attached.status.as_u16(), attached.header("location")),
        (303, Some(format!("{path}?done=attached").as_str())),
        "{}",
        attached.text()
    );
    let shown = person.get(&app, &format!("{path}?done=attached")).await.text();
    assert!(shown.contains("The file is attached.") && shown.contains(">scan 1.pdf</a>"), "{shown}");
    let files = listed(&app, &owner, &task).await;
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        (files[0]["file_name"].as_str(), files[0]["content_type"].as_str(), files[0]["size_bytes"].as_u64()),
        (Some("scan 1.pdf"), Some("application/pdf"), Some(file.len() as u64))
    );
    let link = format!("{path}/attachments/{}", files[0]["id"].as_str().unwrap());
    assert!(shown.contains(&format!("href=\"{link}\" download")), "the console link: {shown}");
    let download = person.get(&app, &link).await;
    assert_eq!(download.status, 200, "{}", download.text());
    assert!(download.body == file, "the download differs from the upload");
    assert_eq!(download.header("content-type"), Some("application/pdf"));
    assert!(download.header("content-disposition").unwrap().starts_with("attachment"));

    // A byte over the file limit comes back on the page, and nothing more is stored.
    let page = person.get(&app, &path).await;
    let over = attach(
        &app,
        &person,
        &action_of(&page, "attachment"),
        ("big.pdf", "application/pdf", &pdf(SMALL_MAX_FILE + 1)),
    )
    .await;
    assert_refused(&over, 413, "The file is larger than the 64 KiB accepted; nothing was attached.");
    assert_eq!(listed(&app, &owner, &task).await.len(), 1);
    assert_eq!(stored_files(&app, &owner, &task), 1);
}

#[tokio::test]
async fn a_refused_file_is_named_by_the_upload_form_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let task = id_of(&create_task(&app, &owner, json!({"title": "Review"})).await);
    let person = Client::logged_in(&app, &owner.email).await;
    let page = person.get(&app, &format!("/admin/tasks/{task}")).await;
    let action = action_of(&page, "attachment");
    let html: &[u8] = b"<html><script>alert(1)</script></html>";
    let cases: [(File<'_>, u16, &str); 4] = [
        (
            ("page.html", "text/html", html),
            415,
            "The file was not attached: files of type &quot;text&#x2f;html&quot; are not accepted.",
        ),
        (
            ("logo.png", "image/png", html),
            415,
            "The file was not attached: the content is not image&#x2f;png.",
        ),
        (("empty.txt", "text/plain", b""), 422, "The file is empty."),
        (("", "application/octet-stream", b""), 422, "The file is required."),
    ];
    for (file, status, message) in cases {
        let refused = attach(&app, &person, &action, file).await;
        assert_refused(&refused, status, message);
    }
    assert!(listed(&app, &owner, &task).await.is_empty());
    assert_eq!(stored_files(&app, &owner, &task), 0);
}

#[tokio::test]
async fn without_tasks_edit_there_is_no_form_and_a_forged_upload_or_delete_is_refused() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    app.member_with_email(owner.organization_id, "viewer@acme.test", "viewer").await;
    let task = id_of(&create_task(&app, &owner, json!({"title": "Theirs"})).await);
    let added = upload(&app, &owner, &task, "notes.pdf", "application/pdf", b"%PDF-1.7\nhello").await;
    assert_eq!(added.status, 201, "{}", added.text());
    let attachment = id_of(&added.json());
    let viewer = Client::logged_in(&app, "viewer@acme.test").await;
    let page = viewer.get(&app, &format!("/admin/tasks/{task}")).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("notes.pdf"), "the attachment is still listed: {html}");
    assert!(!html.contains("id=\"attachment\"") && !html.contains("/delete\""), "{html}");

    let csrf = page.csrf_token();
    let forged = attach(
        &app,
        &viewer,
        &format!("/admin/tasks/{task}/attachments?csrf_token={csrf}"),
        ("forged.pdf", "application/pdf", b"%PDF-1.7\nforged"),
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    let delete = format!("/admin/tasks/{task}/attachments/{attachment}/delete");
    assert_eq!(viewer.get(&app, &delete).await.status, 403);
    let deleted = viewer.post_form(&app, &delete, &[("csrf_token", &csrf)]).await;
    assert_eq!(deleted.status, 403, "{}", deleted.text());
    let files = listed(&app, &owner, &task).await;
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(stored_files(&app, &owner, &task), 1);
}

#[tokio::test]
async fn an_upload_without_its_csrf_token_is_refused() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let task = id_of(&create_task(&app, &owner, json!({"title": "Review"})).await);
    let person = Client::logged_in(&app, &owner.email).await;
    let file: File<'_> = ("notes.pdf", "application/pdf", b"%PDF-1.7\nhello");
    for action in [
        format!("/admin/tasks/{task}/attachments"),
        format!("/admin/tasks/{task}/attachments?csrf_token=forged"),
    ] {
        let sent = attach(&app, &person, &action, file).await;
        assert_eq!(sent.status, 403, "{action}: {}", sent.text());
    }
    assert!(listed(&app, &owner, &task).await.is_empty());
    assert_eq!(stored_files(&app, &owner, &task), 0);
}

#[tokio::test]
async fn an_attachment_is_deleted_after_its_confirm_page() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let task = id_of(&create_task(&app, &owner, json!({"title": "Review"})).await);
    let added = upload(&app, &owner, &task, "notes.pdf", "application/pdf", b"%PDF-1.7\nhello").await;
    assert_eq!(added.status, 201, "{}", added.text());
    let attachment = id_of(&added.json());
    let person = Client::logged_in(&app, &owner.email).await;
    let path = format!("/admin/tasks/{task}");
    let delete = format!("{path}/attachments/{attachment}/delete");
    let page = person.get(&app, &path).await.text();
    assert!(page.contains(&format!("href=\"{delete}\"")), "{page}");

    let confirm = person.get(&app, &delete).await;
    assert_eq!(confirm.status, 200, "{}", confirm.text());
    assert!(confirm.text().contains("Delete “notes.pdf”?"), "{}", confirm.text());
    let form = confirm.form("delete-attachment");
    assert_eq!(action_of(&confirm, "delete-attachment"), delete);
    let unsigned = person.post_form(&app, &delete, &[]).await;
    assert_eq!(unsigned.status, 403, "no CSRF token: {}", unsigned.text());
    assert_eq!(listed(&app, &owner, &task).await.len(), 1);

    let deleted = person.post_form(&app, &delete, &form.pairs()).await;
    assert_eq!(
        (deleted.status.as_u16(), deleted.header("location")),
        (303, Some(format!("{path}?done=detached").as_str())),
        "{}",
        deleted.text()
    );
    let shown = person.get(&app, &format!("{path}?done=detached")).await.text();
    assert!(shown.contains("The attachment is deleted.") && !shown.contains("notes.pdf"), "{shown}");
    assert!(listed(&app, &owner, &task).await.is_empty());
    assert_eq!(stored_files(&app, &owner, &task), 0);
    assert_eq!(person.get(&app, &format!("{path}/attachments/{attachment}")).await.status, 404);
    let again = person.post_form(&app, &delete, &form.pairs()).await;
    assert_eq!(again.status, 404, "{}", again.text());
}
