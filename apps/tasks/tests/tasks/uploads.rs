//! A large attachment through the whole router: the upload route takes
//! `storage.max_file_bytes` as its body limit instead of `server.body_limit_bytes`, whether
//! the client declares the length or streams the body, and the stored file is the bytes sent.

use axum::body::Body;
use baseops_test_support::{Client, TestApp, TestResponse};
use http::{Method, header};
use serde_json::json;

use crate::support::{create_task, id_of};

/// The global body limit of these tests, far below the file limit.
const BODY_LIMIT: usize = 4 * 1024;
/// The largest file accepted.
const MAX_FILE: usize = 64 * 1024;

/// A PDF (so the content check passes) carrying every byte value, not only text, and no run
/// of repeated bytes that a truncation or a shifted chunk could go unnoticed in.
fn pdf(len: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..len - bytes.len()).map(|i| u8::try_from((i * 7 + i / 256) % 256).unwrap()));
    bytes
}

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
    let app = TestApp::with_settings(&[
        ("BASEOPS_SERVER__BODY_LIMIT_BYTES", &BODY_LIMIT.to_string()),
        ("BASEOPS_STORAGE__MAX_FILE_BYTES", &MAX_FILE.to_string()),
    ])
    .await;
    // Without the settings in effect the test would pass on the defaults and prove nothing.
    assert_eq!(app.settings().server.body_limit_bytes, BODY_LIMIT);
    assert_eq!(app.settings().storage.max_file_bytes, MAX_FILE as u64);
    let owner = &app.org().await.owner;
    let task = id_of(&create_task(&app, owner, json!({"title": "Scans"})).await);
    // Any other route keeps the global limit.
    let long = json!({"title": "Too long", "description": "x".repeat(BODY_LIMIT)});
    owner.post(&app, "/api/v1/tasks", long).await.assert_problem(413, "payload_too_large");

    // Ten times the body limit, declared and streamed; and exactly the file limit.
    let mut stored = Vec::new();
    for (len, declared) in [(10 * BODY_LIMIT, true), (10 * BODY_LIMIT + 1, false), (MAX_FILE, true)] {
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
        attach(&app, owner, &task, &pdf(MAX_FILE + 1), declared)
            .await
            .assert_problem(413, "payload_too_large");
    }
    let listed = owner.get(&app, &format!("/api/v1/tasks/{task}/attachments")).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let ids: Vec<String> =
        listed.json().as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, stored, "a refused upload left an attachment");
}
