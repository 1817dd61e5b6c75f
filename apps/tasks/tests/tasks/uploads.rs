//! A large attachment through the whole router: the upload route takes
//! `storage.max_file_bytes` as its body limit instead of `server.body_limit_bytes`, whether
//! the client declares the length or streams the body, and the stored file is the bytes sent.

use axum::body::Body;
use baseops_test_support::{Client, TestApp, TestResponse};
use http::{Method, header};
use serde_json::json;

use crate::support::{SMALL_BODY_LIMIT, SMALL_MAX_FILE, create_task, id_of, pdf, small_limits_app};

/// Attaches `bytes` as one body with its `Content-Length` (as most clients send files), or
/// streamed in 1 KiB chunks without one.
async fn attach(app: &TestApp, member: &Client, task: &str, bytes: &[u8], declared: bool) -> TestResponse {
    let path = format!("/api/v1/tasks/{task}/attachments?file_name=scan.pdf");
    let mut request =
        member.request(Method::POST, &path, &[]).header(header::CONTENT_TYPE, "application/pdf");
    let body = if declared {
        request = request.header(header::CONTENT_LENGTH, bytes.len());
        Body::from(bytes.to_vec())
    } else {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            bytes.chunks(1024).map(|chunk| Ok(chunk.to_vec())).collect();
        Body::from_stream(futures_util::stream::iter(chunks))
    };
    app.send(request.body(body).expect("a valid request")).await
}

#[tokio::test]
async fn an_attachment_above_the_body_limit_and_within_the_file_limit_is_stored_whole() {
    let app = small_limits_app().await;
    let owner = &app.org().await.owner;
    let task = id_of(&create_task(&app, owner, json!({"title": "Scans"})).await);
    // Any other route keeps the global limit.
    let long = json!({"title": "Too long", "description": "x".repeat(SMALL_BODY_LIMIT)});
    owner.post(&app, "/api/v1/tasks", long).await.assert_problem(413, "payload_too_large");

    // Ten times the body limit, declared and streamed; and exactly the file limit.
    let mut stored = Vec::new();
    for (len, declared) in
        [(10 * SMALL_BODY_LIMIT, true), (10 * SMALL_BODY_LIMIT + 1, false), (SMALL_MAX_FILE, true)]
    {
        let file = pdf(len);
        let added = attach(&app, owner, &task, &file, declared).await;
        assert_eq!(added.status, 201, "{len} bytes (declared: {declared}): {}", added.text());
        let attachment = added.json();
        assert_eq!(attachment["size_bytes"].as_u64(), Some(len as u64), "{attachment}");
        let id = attachment["id"].as_str().unwrap().to_owned();
        let download = owner.get(&app, &format!("/api/v1/tasks/{task}/attachments/{id}")).await;
        assert_eq!(download.status, 200, "{}", download.text());
        assert!(download.body == file, "{len} bytes: the download differs from the upload");
        // The file on disk, not only what the API answers.
        let on_disk =
            app.files_dir().join("media/tasks").join(owner.organization_id.to_string()).join(&task).join(&id);
        assert!(std::fs::read(&on_disk).unwrap() == file, "{len} bytes: the stored file differs");
        stored.push(id);
    }

    // One byte over the file limit is 413, declared or not, and stores nothing.
    for declared in [true, false] {
        attach(&app, owner, &task, &pdf(SMALL_MAX_FILE + 1), declared)
            .await
            .assert_problem(413, "payload_too_large");
    }
    let listed = owner.get(&app, &format!("/api/v1/tasks/{task}/attachments")).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let ids: Vec<String> =
        listed.json().as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, stored, "a refused upload left an attachment");
}
