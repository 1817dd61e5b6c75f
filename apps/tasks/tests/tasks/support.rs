//! What the tasks stories share beyond the test kit: creating, reading and moving a task,
//! attaching a file, enqueueing a scheduled job by hand, the notifications a person got, and
//! the check that no job died.

use axum::body::Body;
use baseops_jobs::model::job;
use baseops_jobs::queue::state;
use baseops_notifications::model::notification;
use baseops_test_support::{Client, TestApp, TestResponse};
use http::{Method, header};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

/// Creates a task, asserting 201, and returns it.
pub async fn create_task(app: &TestApp, member: &Client, body: Value) -> Value {
    let response = member.post(app, "/api/v1/tasks", body).await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

/// The task as the API shows it to `member`, asserting 200.
pub async fn task(app: &TestApp, member: &Client, id: &str) -> Value {
    let response = member.get(app, &format!("/api/v1/tasks/{id}")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// Moves a task to `status` with its current version.
pub async fn move_to(app: &TestApp, member: &Client, id: &str, status: &str) -> TestResponse {
    let version = task(app, member, id).await["version"].as_i64().expect("a version");
    member.patch(app, &format!("/api/v1/tasks/{id}"), json!({"status": status}), Some(version)).await
}

/// The id of a task (or any record) in its JSON.
pub fn id_of(task: &Value) -> String {
    task["id"].as_str().expect("an id").to_owned()
}

/// Attaches a file to a task: the raw bytes as the body, with their media type.
pub async fn upload(
    app: &TestApp,
    member: &Client,
    task: &str,
    file_name: &str,
    media_type: &str,
    bytes: &[u8],
) -> TestResponse {
    let path = format!("/api/v1/tasks/{task}/attachments?file_name={file_name}");
    let request = member
        .request(Method::POST, &path, &[])
        .header(header::CONTENT_TYPE, media_type)
        .body(Body::from(bytes.to_vec()))
        .expect("a valid request");
    app.send(request).await
}

/// Enqueues a job now, outside any request, as its schedule would.
pub async fn enqueue<J: baseops_jobs::Job>(app: &TestApp, job: &J) {
    let txn = app.state().db().write().begin().await.expect("a transaction");
    let enqueue = baseops_jobs::Enqueue::new(job).expect("the job serializes");
    baseops_jobs::enqueue(&txn, enqueue).await.expect("the job is enqueued");
    txn.commit().await.expect("commit");
}

/// The notifications of one kind a user got.
pub async fn notifications(app: &TestApp, user_id: Uuid, kind: &str) -> Vec<notification::Model> {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Kind.eq(kind))
        .all(app.state().db().read())
        .await
        .expect("the notifications table")
}

/// Asserts that no job died: the kit's `run_jobs` fails only for jobs no app registers, and
/// a task job that fails would otherwise go unnoticed in these stories.
pub async fn assert_no_job_died(app: &TestApp) {
    let dead = job::Entity::find()
        .filter(job::Column::State.eq(state::DEAD))
        .all(app.state().db().read())
        .await
        .expect("the jobs table");
    assert!(
        dead.is_empty(),
        "dead jobs: {:?}",
        dead.iter().map(|job| (&job.name, &job.last_error)).collect::<Vec<_>>()
    );
}

/// The body limit of the large-upload stories, far below their file limit.
pub const SMALL_BODY_LIMIT: usize = 4 * 1024;
/// The largest file the large-upload stories accept.
pub const SMALL_MAX_FILE: usize = 64 * 1024;

/// An app whose body limit is [`SMALL_BODY_LIMIT`] and file limit [`SMALL_MAX_FILE`], checked
/// in effect: on the defaults a large-upload story would pass and prove nothing.
pub async fn small_limits_app() -> TestApp {
    let app = TestApp::with_settings(&[
        ("BASEOPS_SERVER__BODY_LIMIT_BYTES", &SMALL_BODY_LIMIT.to_string()),
        ("BASEOPS_STORAGE__MAX_FILE_BYTES", &SMALL_MAX_FILE.to_string()),
    ])
    .await;
    assert_eq!(app.settings().server.body_limit_bytes, SMALL_BODY_LIMIT);
    assert_eq!(app.settings().storage.max_file_bytes, SMALL_MAX_FILE as u64);
    app
}

/// A PDF (so the content check passes) of `len` bytes carrying every byte value, not only
/// text, and no run of repeated bytes that a truncation or a shifted chunk could go
/// unnoticed in.
pub fn pdf(len: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..len - bytes.len()).map(|i| u8::try_from((i * 7 + i / 256) % 256).unwrap()));
    bytes
}
