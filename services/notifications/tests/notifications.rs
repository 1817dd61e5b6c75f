//! Notifications through the API and the services, on SQLite or PostgreSQL
//! (BASEOPS_TEST_DATABASE_URL): creation by event handlers (idempotent per event), the list,
//! read state, preferences and their channels, the digest, and the live stream — within one
//! process, and across processes over PostgreSQL or Redis (BASEOPS_TEST_REDIS_URL).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use baseops_core::{Acting, Actor, App, AppState, Origin};
use baseops_jobs::model::job;
use baseops_jobs::{Job, JobContext, Registry, Worker, WorkerConfig};
use baseops_notifications::model::notification;
use baseops_notifications::{Hub, NewNotification, SendDigests, send};
use baseops_test_support::{TestApp, TestResponse};
use baseops_users::service::user::{NewUser, create_user};
use baseops_users::session_store::SessionStore;
use baseops_users::{PasswordHashing, UsersAuthenticator};
use http::{Method, Request, header};
use http_body_util::BodyExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

const PASSWORD: &str = "blue-kettle-41-marsh";

fn apps() -> Vec<App> {
    vec![
        baseops_jobs::app(),
        baseops_audit::app(),
        baseops_users::app(),
        baseops_roles::app(),
        baseops_notifications::app(),
    ]
}

fn install(state: AppState) -> AppState {
    let sessions = SessionStore::from_settings(state.settings()).expect("the session store");
    let hub = Hub::from_settings(state.settings(), state.db().write().clone()).expect("the hub");
    state
        .with_extension(sessions)
        .with_extension(hub)
        .with_extension(baseops_users::event::subscribe(baseops_jobs::EventBus::new()))
}

async fn app_with(settings: &[(&str, &str)]) -> TestApp {
    let mut builder =
        TestApp::builder().apps(apps()).authenticator(Arc::new(UsersAuthenticator)).prepare(install);
    for (var, value) in settings {
        builder = builder.setting(var, value);
    }
    builder.build().await
}

async fn app() -> TestApp {
    app_with(&[]).await
}

async fn user(app: &TestApp, email: &str) -> Uuid {
    let settings = &app.settings().auth;
    let hashing = PasswordHashing::new(settings).unwrap();
    let actor = Actor::System { name: "test".into() };
    let origin = Origin::internal();
    let txn = app.state().db().write().begin().await.unwrap();
    let new = NewUser { email, display_name: "Ada", password: Some(PASSWORD), is_superuser: false };
    let user =
        create_user(&txn, Acting { actor: &actor, origin: &origin }, new, &hashing, settings).await.unwrap();
    txn.commit().await.unwrap();
    user.id
}

/// A signed-in browser: its session cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

impl Browser {
    async fn login(app: &TestApp, email: &str) -> Self {
        let response =
            app.post_json("/api/v1/auth/login", &json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let cookie = response.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
        Self { cookie, csrf: response.json()["csrf_token"].as_str().unwrap().to_owned() }
    }

    fn request(&self, method: Method, path: &str, body: Option<Value>) -> Request<Body> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf);
        match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
            None => request.body(Body::empty()).unwrap(),
        }
    }

    async fn send(&self, app: &TestApp, method: Method, path: &str, body: Option<Value>) -> TestResponse {
        app.send(self.request(method, path, body)).await
    }

    async fn get(&self, app: &TestApp, path: &str) -> TestResponse {
        self.send(app, Method::GET, path, None).await
    }
}

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

async fn email_jobs(app: &TestApp) -> Vec<Value> {
    job::Entity::find()
        .filter(job::Column::Name.eq("email.send"))
        .all(app.state().db().read())
        .await
        .unwrap()
        .into_iter()
        .map(|row| serde_json::from_str::<Value>(&row.payload).unwrap())
        .collect()
}

#[tokio::test]
async fn handlers_create_notifications_once_per_event_and_users_read_them() {
    let app = app().await;
    let ada = user(&app, "ada@example.com").await;
    let bob = user(&app, "bob@example.com").await;
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

    let browser = Browser::login(&app, "ada@example.com").await;
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
    let read = browser.send(&app, Method::POST, &format!("/api/v1/notifications/{first}/read"), None).await;
    assert_eq!(read.status, 204, "{}", read.text());
    assert_eq!(browser.get(&app, "/api/v1/notifications/unread-count").await.json()["unread"], 1);
    let unread = browser.get(&app, "/api/v1/notifications?unread=true").await.json();
    assert_eq!(unread["items"].as_array().unwrap().len(), 1);

    // Another user cannot see or touch it.
    let bobs = Browser::login(&app, "bob@example.com").await;
    assert_eq!(bobs.get(&app, "/api/v1/notifications").await.json()["items"], json!([]));
    bobs.send(&app, Method::POST, &format!("/api/v1/notifications/{first}/read"), None)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(send(app.state(), vec![about(bob, "task.assigned", "Bob's", None)]).await.unwrap(), 1);

    let all = browser.send(&app, Method::POST, "/api/v1/notifications/read-all", None).await;
    assert_eq!(all.json()["marked"], 1);
    assert_eq!(browser.get(&app, "/api/v1/notifications/unread-count").await.json()["unread"], 0);
    assert_eq!(bobs.get(&app, "/api/v1/notifications/unread-count").await.json()["unread"], 1);

    // Bad input changes nothing.
    browser.get(&app, "/api/v1/notifications?limit=0").await.assert_problem(422, "validation_failed");
    browser.get(&app, "/api/v1/notifications?cursor=nope").await.assert_problem(400, "invalid_cursor");
    let unknown = Uuid::now_v7();
    browser
        .send(&app, Method::POST, &format!("/api/v1/notifications/{unknown}/read"), None)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.get("/api/v1/notifications").await.status, 401);
    // A malformed kind is a bug in the calling handler: permanent, nothing stored.
    assert!(send(app.state(), vec![about(ada, "Task Assigned", "x", None)]).await.is_err());
}

#[tokio::test]
async fn preferences_choose_the_channels_per_kind() {
    let app = app().await;
    let ada = user(&app, "ada@example.com").await;
    let browser = Browser::login(&app, "ada@example.com").await;
    let channels =
        |in_app: bool, email: bool, digest: bool| json!({"in_app": in_app, "email": email, "digest": digest});

    let set = browser
        .send(
            &app,
            Method::PUT,
            "/api/v1/notifications/preferences/task.assigned",
            Some(channels(true, true, false)),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    let set = browser
        .send(&app, Method::PUT, "/api/v1/notifications/preferences/*", Some(channels(false, false, false)))
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    let preferences = browser.get(&app, "/api/v1/notifications/preferences").await.json();
    assert_eq!(preferences["default"], channels(false, false, false));
    assert_eq!(
        preferences["kinds"],
        json!([{"kind": "task.assigned", "in_app": true, "email": true, "digest": false}])
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
    let mails = email_jobs(&app).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["email"]["to"], "ada@example.com");
    assert_eq!(mails[0]["email"]["subject"], "Yours now");
    assert!(
        mails[0]["email"]["text"].as_str().unwrap().contains("http://localhost:8000/tasks/1"),
        "{}",
        mails[0]
    );

    // Every change of a preference is audited.
    let audited = baseops_audit::list(
        app.state().db().read(),
        &baseops_audit::EventFilter {
            action: Some("notification_preference.set".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(audited.items.len(), 2);

    let reset =
        browser.send(&app, Method::DELETE, "/api/v1/notifications/preferences/task.assigned", None).await;
    assert_eq!(reset.status, 204);
    browser
        .send(&app, Method::DELETE, "/api/v1/notifications/preferences/task.assigned", None)
        .await
        .assert_problem(404, "not_found");
    browser
        .send(
            &app,
            Method::PUT,
            "/api/v1/notifications/preferences/Not%20A%20Kind",
            Some(channels(true, true, true)),
        )
        .await
        .assert_problem(422, "validation_failed");
    let missing = browser
        .send(
            &app,
            Method::PUT,
            "/api/v1/notifications/preferences/task.assigned",
            Some(json!({"in_app": true})),
        )
        .await;
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
    let app = app().await;
    let ada = user(&app, "ada@example.com").await;
    let bob = user(&app, "bob@example.com").await;
    let browser = Browser::login(&app, "ada@example.com").await;
    let digest = json!({"in_app": true, "email": false, "digest": true});
    browser.send(&app, Method::PUT, "/api/v1/notifications/preferences/*", Some(digest)).await;

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
    browser.send(&app, Method::POST, &format!("/api/v1/notifications/{}/read", read.id), None).await;

    SendDigests.run(&job_context(&app)).await.unwrap();
    let mails = email_jobs(&app).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0]["email"];
    assert_eq!(mail["to"], "ada@example.com");
    assert_eq!(mail["subject"], "2 unread notifications in baseops");
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("Write the report") && text.contains("Call the client"), "{text}");
    assert!(!text.contains("Already read"), "{text}");
    assert!(mail["html"].as_str().unwrap().contains("Call the client"));

    // The next run has nothing new to say.
    SendDigests.run(&job_context(&app)).await.unwrap();
    assert_eq!(email_jobs(&app).await.len(), 1);
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

async fn open_stream(app: &TestApp, browser: &Browser, last_event_id: Option<&str>) -> http::Response<Body> {
    let mut request = browser.request(Method::GET, "/api/v1/notifications/stream", None);
    if let Some(last) = last_event_id {
        request.headers_mut().insert("last-event-id", last.parse().unwrap());
    }
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    app.router().oneshot(request).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_pushes_new_notifications_and_replays_what_a_client_missed() {
    let app = app_with(&[("BASEOPS_NOTIFICATIONS__MAX_STREAMS_PER_USER", "2")]).await;
    let ada = user(&app, "ada@example.com").await;
    let browser = Browser::login(&app, "ada@example.com").await;
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
    let ada = user(&app, "ada@example.com").await;
    let server = Hub::from_settings(app.settings(), app.state().db().write().clone()).unwrap();
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
    let app = app().await;
    if !app.database().is_postgres() {
        eprintln!("skipped: LISTEN/NOTIFY needs PostgreSQL (BASEOPS_TEST_DATABASE_URL)");
        return;
    }
    crosses_processes(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_notifications_cross_processes_over_redis() {
    let Ok(url) = std::env::var("BASEOPS_TEST_REDIS_URL") else {
        eprintln!("skipped: BASEOPS_TEST_REDIS_URL is not set");
        return;
    };
    let prefix = format!("test-{}:", Uuid::now_v7().simple());
    let app = app_with(&[
        ("BASEOPS_NOTIFICATIONS__FANOUT", "redis"),
        ("BASEOPS_REDIS__URL", &url),
        ("BASEOPS_REDIS__KEY_PREFIX", &prefix),
    ])
    .await;
    crosses_processes(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_whose_roles_change_is_notified_through_the_event_and_the_worker() {
    let app = app().await;
    let owner = user(&app, "owner@example.com").await;
    let member = user(&app, "member@example.com").await;
    let actor = Actor::System { name: "test".into() };
    let origin = Origin::internal();
    let acting = Acting { actor: &actor, origin: &origin };
    let txn = app.state().db().write().begin().await.unwrap();
    let organization = baseops_users::service::organization::create_organization(
        &txn,
        acting,
        owner,
        baseops_users::service::organization::NewOrganization {
            name: "Acme".into(),
            slug: None,
            currency: None,
            time_zone: None,
        },
        &App::permissions_of(&apps()),
    )
    .await
    .unwrap();
    let membership = baseops_users::service::organization::add_member(&txn, acting, organization.id, member)
        .await
        .unwrap();
    let manager = baseops_roles::role_by_key(&txn, organization.id, "manager").await.unwrap().unwrap();
    baseops_roles::set_member_roles(&txn, acting, organization.id, membership.id, &[manager]).await.unwrap();
    txn.commit().await.unwrap();

    let registry = Registry::new().register::<baseops_jobs::events::Dispatch>();
    let mut config = WorkerConfig::new(vec!["default".to_owned()]);
    config.poll = Duration::from_millis(50);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(Worker::new(app.state().clone(), registry, config).run(async move {
        let _ = stopped.await;
    }));
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let rows = notification::Entity::find()
                .filter(notification::Column::UserId.eq(member))
                .all(app.state().db().read())
                .await
                .unwrap();
            if !rows.is_empty() {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the member was notified");
    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, "role.changed");
    assert_eq!(found[0].organization_id, Some(organization.id));
    assert_eq!(found[0].title, "Your roles in Acme changed");
    assert!(found[0].body.contains("Manager"), "{}", found[0].body);
}
