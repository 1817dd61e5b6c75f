//! Notifications through the API and the services, on SQLite or PostgreSQL
//! (BASEOPS_TEST_DATABASE_URL): creation by event handlers (idempotent per event), the list,
//! read state, preferences and their channels, the digest, and the live stream — within one
//! process, and across processes over PostgreSQL or Redis (BASEOPS_TEST_REDIS_URL).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use baseops_jobs::{Job, JobContext};
use baseops_notifications::model::notification;
use baseops_notifications::{Hub, NewNotification, SendDigests, send};
use baseops_test_support::{Client, TestApp, services};
use http::{Method, header};
use http_body_util::BodyExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

// Stories in files of their own live under `notifications/`, where Cargo does not take them
// for test binaries.
#[path = "notifications/preference_versions.rs"]
mod preference_versions;

fn about(user_id: Uuid, kind: &'static str, title: &str, event_id: Option<Uuid>) -> NewNotification {
    NewNotification {
        user_id,
        organization_id: None,
        kind,
        title: title.to_owned(),
        body: format!("{title}, in detail."),
        link: Some("/tasks/1".to_owned()),
        event_id,
    }
}

/// The body of the part of a mailed message with this media type (the file backend writes
/// each part as it is, in 8 bits).
fn part<'a>(message: &'a str, media_type: &str) -> &'a str {
    let header = format!("Content-Type: {media_type}");
    let start = message.find(&header).unwrap_or_else(|| panic!("no {media_type} part: {message}"));
    let rest = &message[start..];
    let body = &rest[rest.find("\r\n\r\n").expect("a blank line after the part's headers") + 4..];
    body.find("\r\n--").map_or(body, |end| &body[..end])
}

/// A message's `Subject` header.
fn subject(message: &str) -> &str {
    message.lines().find_map(|line| line.strip_prefix("Subject: ")).expect("a Subject header")
}

#[tokio::test]
async fn handlers_create_notifications_once_per_event_and_users_read_them() {
    let app = TestApp::new().await;
    let ada = app.user("ada@example.com").await;
    let bob = app.user("bob@example.com").await;
    let event = Uuid::now_v7();
    let created = send(
        app.state(),
        vec![about(ada, "task.assigned", "First", Some(event)), about(ada, "task.assigned", "Second", None)],
    )
    .await
    .unwrap();
    assert_eq!(created, 2);
    // The event is delivered again (at least once): nothing new.
    assert_eq!(send(app.state(), vec![about(ada, "task.assigned", "First", Some(event))]).await.unwrap(), 0);

    let browser = Client::logged_in(&app, "ada@example.com").await;
    let page = browser.get(&app, "/api/v1/notifications?limit=1").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let page = page.json();
    assert_eq!(page["unread"], 2);
    assert_eq!(page["items"][0]["title"], "Second", "newest first");
    let next = page["next_cursor"].as_str().unwrap();
    let rest = browser.get(&app, &format!("/api/v1/notifications?limit=1&cursor={next}")).await.json();
    assert_eq!(rest["items"][0]["title"], "First");
    assert!(rest["next_cursor"].is_null());

    let first = rest["items"][0]["id"].as_str().unwrap();
    let read =
        browser.send(&app, Method::POST, &format!("/api/v1/notifications/{first}/read"), None, &[]).await;
    assert_eq!(read.status, 204, "{}", read.text());
    assert_eq!(browser.get(&app, "/api/v1/notifications/unread-count").await.json()["unread"], 1);
    let unread = browser.get(&app, "/api/v1/notifications?unread=true").await.json();
    assert_eq!(unread["items"].as_array().unwrap().len(), 1);

    // Another user cannot see or touch it.
    let bobs = Client::logged_in(&app, "bob@example.com").await;
    assert_eq!(bobs.get(&app, "/api/v1/notifications").await.json()["items"], json!([]));
    bobs.send(&app, Method::POST, &format!("/api/v1/notifications/{first}/read"), None, &[])
        .await
        .assert_problem(404, "not_found");
    assert_eq!(send(app.state(), vec![about(bob, "task.assigned", "Bob's", None)]).await.unwrap(), 1);

    let all = browser.send(&app, Method::POST, "/api/v1/notifications/read-all", None, &[]).await;
    assert_eq!(all.json()["marked"], 1);
    assert_eq!(browser.get(&app, "/api/v1/notifications/unread-count").await.json()["unread"], 0);
    assert_eq!(bobs.get(&app, "/api/v1/notifications/unread-count").await.json()["unread"], 1);

    // Bad input changes nothing.
    browser.get(&app, "/api/v1/notifications?limit=0").await.assert_problem(422, "validation_failed");
    browser.get(&app, "/api/v1/notifications?cursor=nope").await.assert_problem(400, "invalid_cursor");
    let unknown = Uuid::now_v7();
    browser
        .send(&app, Method::POST, &format!("/api/v1/notifications/{unknown}/read"), None, &[])
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.get("/api/v1/notifications").await.status, 401);
    // A malformed kind is a bug in the calling handler: permanent, nothing stored.
    assert!(send(app.state(), vec![about(ada, "Task Assigned", "x", None)]).await.is_err());
}

#[tokio::test]
async fn preferences_choose_the_channels_per_kind() {
    let app = TestApp::new().await;
    let ada = app.user("ada@example.com").await;
    let browser = Client::logged_in(&app, "ada@example.com").await;
    let channels =
        |in_app: bool, email: bool, digest: bool| json!({"in_app": in_app, "email": email, "digest": digest});

    let set = browser
        .put(&app, "/api/v1/notifications/preferences/task.assigned", channels(true, true, false))
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    let set = browser.put(&app, "/api/v1/notifications/preferences/*", channels(false, false, false)).await;
    assert_eq!(set.status, 200, "{}", set.text());
    let preferences = browser.get(&app, "/api/v1/notifications/preferences").await.json();
    assert_eq!(preferences["default"], channels(false, false, false));
    assert_eq!(
        preferences["kinds"],
        json!([{"kind": "task.assigned", "in_app": true, "email": true, "digest": false, "version": 1}])
    );

    // task.assigned: listed and e-mailed; anything else: nothing at all.
    let created = send(
        app.state(),
        vec![about(ada, "task.assigned", "Yours now", None), about(ada, "task.commented", "A comment", None)],
    )
    .await
    .unwrap();
    assert_eq!(created, 1);
    let listed = browser.get(&app, "/api/v1/notifications").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let mail = app.only_email_to("ada@example.com").await;
    assert_eq!(app.emails().await.len(), 1, "nothing else was mailed");
    assert_eq!(subject(&mail), "Yours now");
    assert!(part(&mail, "text/plain").contains("http://localhost:8000/tasks/1"), "{mail}");

    // Every change of a preference is audited.
    assert_eq!(app.audit(None, "notification_preference.set").await.len(), 2);

    let reset = browser.delete(&app, "/api/v1/notifications/preferences/task.assigned").await;
    assert_eq!(reset.status, 204);
    browser
        .delete(&app, "/api/v1/notifications/preferences/task.assigned")
        .await
        .assert_problem(404, "not_found");
    browser
        .put(&app, "/api/v1/notifications/preferences/Not%20A%20Kind", channels(true, true, true))
        .await
        .assert_problem(422, "validation_failed");
    let missing =
        browser.put(&app, "/api/v1/notifications/preferences/task.assigned", json!({"in_app": true})).await;
    assert_eq!(missing.status, 422, "{}", missing.text());
    assert_eq!(browser.get(&app, "/api/v1/notifications/preferences").await.json()["kinds"], json!([]));
}

fn job_context(app: &TestApp) -> JobContext {
    JobContext {
        state: app.state().clone(),
        job_id: Uuid::now_v7(),
        attempt: 1,
        organization_id: None,
        request_id: None,
    }
}

#[tokio::test]
async fn the_digest_mails_unread_notifications_once_to_users_who_chose_it() {
    let app = TestApp::new().await;
    let ada = app.user("ada@example.com").await;
    let bob = app.user("bob@example.com").await;
    let browser = Client::logged_in(&app, "ada@example.com").await;
    let digest = json!({"in_app": true, "email": false, "digest": true});
    browser.put(&app, "/api/v1/notifications/preferences/*", digest).await;

    send(
        app.state(),
        vec![
            about(ada, "task.assigned", "Write the report", None),
            about(ada, "task.overdue", "Call the client", None),
            about(ada, "task.commented", "Already read", None),
            about(bob, "task.assigned", "Bob did not choose the digest", None),
        ],
    )
    .await
    .unwrap();
    let read = notification::Entity::find()
        .filter(notification::Column::Title.eq("Already read"))
        .one(app.state().db().read())
        .await
        .unwrap()
        .unwrap();
    browser.send(&app, Method::POST, &format!("/api/v1/notifications/{}/read", read.id), None, &[]).await;

    SendDigests.run(&job_context(&app)).await.unwrap();
    let mails = app.emails().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = app.only_email_to("ada@example.com").await;
    assert_eq!(subject(&mail), "2 unread notifications in baseops");
    let text = part(&mail, "text/plain");
    assert!(text.contains("Write the report") && text.contains("Call the client"), "{text}");
    assert!(!text.contains("Already read"), "{text}");
    assert!(part(&mail, "text/html").contains("Call the client"));

    // The next run has nothing new to say.
    SendDigests.run(&job_context(&app)).await.unwrap();
    assert_eq!(app.emails().await.len(), 1);
}

/// Reads the next server-sent event (skipping keep-alive comments), within 10 seconds.
async fn next_event(body: &mut Body, buffer: &mut String) -> Option<(String, String, String)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .filter_map(|line| line.strip_prefix(name))
                    .map(|value| value.trim_start().to_owned())
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            if block.lines().all(|line| line.starts_with(':') || line.is_empty()) {
                continue;
            }
            return Some((field("event:"), field("id:"), field("data:")));
        }
        let frame = tokio::time::timeout_at(deadline, body.frame()).await.ok()??.ok()?;
        if let Ok(data) = frame.into_data() {
            buffer.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
}

async fn open_stream(app: &TestApp, browser: &Client, last_event_id: Option<&str>) -> http::Response<Body> {
    let last: Vec<(&str, &str)> = last_event_id.iter().map(|id| ("last-event-id", *id)).collect();
    let mut request =
        browser.request(Method::GET, "/api/v1/notifications/stream", &last).body(Body::empty()).unwrap();
    // Streamed, not read whole: through the router itself rather than `TestApp::send`.
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    app.router().oneshot(request).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_pushes_new_notifications_and_replays_what_a_client_missed() {
    let app = TestApp::with_settings(&[("BASEOPS_NOTIFICATIONS__MAX_STREAMS_PER_USER", "2")]).await;
    let ada = app.user("ada@example.com").await;
    let browser = Client::logged_in(&app, "ada@example.com").await;
    send(app.state(), vec![about(ada, "task.assigned", "Before", None)]).await.unwrap();

    let hub = app.state().extension::<Hub>().unwrap();
    assert!(hub.wait_until_listening(Duration::from_secs(10)).await);
    let response = open_stream(&app, &browser, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = response.into_body();
    let mut buffer = String::new();
    let (event, _, data) = next_event(&mut body, &mut buffer).await.unwrap();
    assert_eq!((event.as_str(), data.as_str()), ("unread", r#"{"unread":1}"#));

    send(app.state(), vec![about(ada, "task.assigned", "Live one", None)]).await.unwrap();
    let (event, id, data) = next_event(&mut body, &mut buffer).await.expect("the push");
    assert_eq!(event, "notification");
    let pushed: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(pushed["title"], "Live one");
    assert_eq!(pushed["id"], id.as_str());

    // A reconnecting client gets what it missed since its last event, then live ones.
    let before = notification::Entity::find()
        .filter(notification::Column::Title.eq("Before"))
        .one(app.state().db().read())
        .await
        .unwrap()
        .unwrap();
    let again = open_stream(&app, &browser, Some(&before.id.to_string())).await;
    let mut again_body = again.into_body();
    let mut again_buffer = String::new();
    assert_eq!(next_event(&mut again_body, &mut again_buffer).await.unwrap().0, "unread");
    let (_, replayed, _) = next_event(&mut again_body, &mut again_buffer).await.unwrap();
    assert_eq!(replayed, id, "the missed notification is replayed");

    // Two streams are this user's limit here; a third is refused.
    let third = open_stream(&app, &browser, None).await;
    assert_eq!(third.status(), 429);
    let bad = open_stream(&app, &browser, Some("not-an-id")).await;
    assert_eq!(bad.status(), 400);

    // Shutdown ends open streams.
    app.state().extension::<Hub>().unwrap().close();
    assert!(next_event(&mut body, &mut buffer).await.is_none(), "the stream ended");
}

/// Two processes: one creates notifications (a worker), the other streams them (a server).
async fn crosses_processes(app: TestApp) {
    let ada = app.user("ada@example.com").await;
    let server = Hub::from_settings(app.settings(), app.state().db().write().connection().clone()).unwrap();
    let mut subscription = server.subscribe(ada).unwrap();
    assert!(server.wait_until_listening(Duration::from_secs(10)).await, "the server listens");
    send(app.state(), vec![about(ada, "task.assigned", "Across", None)]).await.unwrap();
    let received = tokio::time::timeout(Duration::from_secs(10), subscription.pushes.recv())
        .await
        .expect("the other process received the notification in time")
        .unwrap();
    let pushed: Value = serde_json::from_str(&received.json).unwrap();
    assert_eq!(pushed["title"], "Across");
    server.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_notifications_cross_processes_over_postgresql() {
    let app = TestApp::new().await;
    if !app.database().is_postgres() {
        return services::skip("LISTEN/NOTIFY needs PostgreSQL: the PostgreSQL run of the suite runs it");
    }
    crosses_processes(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_notifications_cross_processes_over_redis() {
    let Some(url) = services::redis_url() else { return };
    let prefix = format!("test-{}:", Uuid::now_v7().simple());
    let app = TestApp::with_settings(&[
        ("BASEOPS_NOTIFICATIONS__FANOUT", "redis"),
        ("BASEOPS_REDIS__URL", &url),
        ("BASEOPS_REDIS__KEY_PREFIX", &prefix),
    ])
    .await;
    crosses_processes(app).await;
}

#[tokio::test]
async fn a_member_whose_roles_change_is_notified_through_the_event_and_the_worker() {
    let app = TestApp::new().await;
    let acme = app.org().await;
    let member = app.member(acme.id, "viewer").await;
    let members = acme.owner.get(&app, "/api/v1/members").await.json();
    let membership = members.as_array().unwrap().iter().find(|m| m["user_id"] == member.user_id.to_string());
    let membership = membership.expect("the new member is listed")["id"].as_str().unwrap().to_owned();
    let roles = acme.owner.get(&app, "/api/v1/roles").await.json();
    let manager =
        roles.as_array().unwrap().iter().find(|role| role["key"] == "manager").unwrap()["id"].clone();

    let set = acme
        .owner
        .put(&app, &format!("/api/v1/members/{membership}/roles"), json!({"roles": [manager]}))
        .await;
    assert_eq!(set.status, 204, "{}", set.text());
    app.run_jobs().await;

    let found = notification::Entity::find()
        .filter(notification::Column::UserId.eq(member.user_id))
        .all(app.state().db().read())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, "role.changed");
    assert_eq!(found[0].organization_id, Some(acme.id));
    assert_eq!(found[0].title, "Your roles in Acme changed");
    assert!(found[0].body.contains("Manager"), "{}", found[0].body);
}
