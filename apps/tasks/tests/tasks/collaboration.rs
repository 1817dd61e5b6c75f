//! Comments (Markdown, author only, edit window), attachments through storage, and the
//! activity history built from the audit trail.

use baseops_test_support::TestApp;
use serde_json::json;

use crate::support::{create_task, id_of, upload};

#[tokio::test]
async fn comments_render_markdown_safely_and_only_their_author_edits_them_in_time() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let manager = app.as_role("manager").await;
    let task = create_task(&app, owner, json!({"title": "Review", "description": "**Go** <script>alert(1)</script> [x](javascript:alert(1))"})).await;
    assert_eq!(
        task["description_html"],
        "<p><strong>Go</strong> &lt;script&gt;alert(1)&lt;/script&gt; x</p>\n"
    );
    let id = id_of(&task);
    let comments = format!("/api/v1/tasks/{id}/comments");
    let written = owner.post(&app, &comments, json!({"body": "See [spec](https://example.com/spec)"})).await;
    assert_eq!(written.status, 201, "{}", written.text());
    let comment = written.json();
    assert!(comment["body_html"].as_str().unwrap().contains("<a href=\"https://example.com/spec\">spec</a>"));
    let one = format!("{comments}/{}", comment["id"].as_str().unwrap());
    let edited = owner.patch(&app, &one, json!({"body": "See the spec"}), None).await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    assert!(edited.json()["edited_at"].is_string());
    let response = manager.patch(&app, &one, json!({"body": "mine"}), None).await;
    response.assert_problem(403, "not_author");
    manager.delete(&app, &one).await.assert_problem(403, "not_author");
    owner.post(&app, &comments, json!({"body": "   "})).await.assert_problem(422, "validation_failed");
    let listed = owner.get(&app, &comments).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(owner.delete(&app, &one).await.status, 204);

    let activity = owner.get(&app, &format!("/api/v1/tasks/{id}/activity")).await.json();
    let actions: Vec<&str> =
        activity["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["task.comment_delete", "task.comment_edit", "task.comment", "task.create"],
        "newest first"
    );
}

#[tokio::test]
async fn comments_close_for_editing_after_the_window() {
    let app = TestApp::with_settings(&[("BASEOPS_TASKS__COMMENT_EDIT_MINUTES", "0")]).await;
    let owner = &app.org().await.owner;
    let task = create_task(&app, owner, json!({"title": "Review"})).await;
    let comments = format!("/api/v1/tasks/{}/comments", id_of(&task));
    let comment = owner.post(&app, &comments, json!({"body": "first"})).await;
    assert_eq!(comment.status, 201, "{}", comment.text());
    let one = format!("{comments}/{}", comment.json()["id"].as_str().unwrap());
    let response = owner.patch(&app, &one, json!({"body": "second"}), None).await;
    response.assert_problem(403, "edit_window_closed");
    let listed = owner.get(&app, &comments).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()[0]["body"], "first", "a refused edit changed the comment");
}

#[tokio::test]
async fn attachments_go_through_storage_with_size_and_type_limits() {
    let app = TestApp::with_settings(&[("BASEOPS_STORAGE__MAX_FILE_BYTES", "32")]).await;
    let owner = &app.org().await.owner;
    let task = id_of(&create_task(&app, owner, json!({"title": "Files"})).await);
    let added = upload(&app, owner, &task, "notes.txt", "text/plain; charset=utf-8", b"hello, file").await;
    assert_eq!(added.status, 201, "{}", added.text());
    let attachment = added.json();
    assert_eq!(
        (attachment["size_bytes"].as_i64(), attachment["content_type"].as_str()),
        (Some(11), Some("text/plain"))
    );
    let path = format!("/api/v1/tasks/{task}/attachments/{}", attachment["id"].as_str().unwrap());
    let download = owner.get(&app, &path).await;
    assert_eq!(download.status, 200, "{}", download.text());
    assert_eq!(download.body, b"hello, file");
    assert_eq!(download.header("content-type"), Some("text/plain"));
    assert_eq!(download.header("content-disposition"), Some("attachment; filename=\"notes.txt\""));

    upload(&app, owner, &task, "big.txt", "text/plain", &[b'a'; 33])
        .await
        .assert_problem(413, "payload_too_large");
    upload(&app, owner, &task, "page.html", "text/html", b"<p>x</p>")
        .await
        .assert_problem(415, "unsupported_media_type");
    upload(&app, owner, &task, "fake.png", "image/png", b"<svg/onload=alert(1)>")
        .await
        .assert_problem(415, "unsupported_media_type");
    upload(&app, owner, &task, "..", "text/plain", b"x").await.assert_problem(422, "validation_failed");
    let listed = owner.get(&app, &format!("/api/v1/tasks/{task}/attachments")).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "refused uploads left nothing");

    assert_eq!(owner.delete(&app, &path).await.status, 204);
    owner.get(&app, &path).await.assert_problem(404, "not_found");
    let activity = owner.get(&app, &format!("/api/v1/tasks/{task}/activity")).await.json();
    let actions: Vec<&str> =
        activity["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["task.detach", "task.attach", "task.create"]);
}
