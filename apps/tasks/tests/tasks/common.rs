//! The tasks app under test: the identity apps, notifications and tasks on a fresh database,
//! people with default roles in organizations, signed-in sessions, and a worker run on demand.

use std::sync::Arc;

use axum::body::Body;
use baseops_core::{Acting, Actor, App, AppState, Origin};
use baseops_jobs::model::job;
use baseops_test_support::{TestApp, TestResponse};
use baseops_users::service::organization::{NewOrganization, add_member, create_organization};
use baseops_users::service::user::{NewUser, create_user};
use baseops_users::session_store::SessionStore;
use baseops_users::{PasswordHashing, UsersAuthenticator};
use http::{Method, Request, header};
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "quiet-harbour-52-lamp";

pub fn apps() -> Vec<App> {
    vec![
        baseops_jobs::app(),
        baseops_audit::app(),
        baseops_idempotency::app(),
        baseops_users::app(),
        baseops_roles::app(),
        baseops_notifications::app(),
        baseops_tasks::app(),
    ]
}

fn prepare(state: AppState) -> AppState {
    let sessions = SessionStore::from_settings(state.settings()).expect("the session store");
    let storage = baseops_storage::Storage::in_memory(&state.settings().storage);
    let bus = baseops_tasks::subscribe(baseops_jobs::EventBus::new());
    state.with_extension(sessions).with_extension(storage).with_extension(bus)
}

pub async fn tasks_app() -> TestApp {
    tasks_app_with(&[]).await
}

pub async fn tasks_app_with(settings: &[(&str, &str)]) -> TestApp {
    let mut builder =
        TestApp::builder().apps(apps()).authenticator(Arc::new(UsersAuthenticator)).prepare(prepare);
    for (variable, value) in settings {
        builder = builder.setting(variable, value);
    }
    builder.build().await
}

fn system() -> (Actor, Origin) {
    (Actor::System { name: "test".into() }, Origin::internal())
}

/// A signed-in person: their id and session.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: Uuid,
    cookie: String,
    csrf: String,
    organization: Option<Uuid>,
}

/// An organization and its owner.
pub struct Org {
    pub id: Uuid,
    pub owner: Person,
}

async fn new_user(app: &TestApp, email: &str) -> Uuid {
    let settings = &app.settings().auth;
    let hashing = PasswordHashing::new(settings).unwrap();
    let (actor, origin) = system();
    let txn = app.state().db().write().begin().await.unwrap();
    let new = NewUser { email, display_name: email, password: Some(PASSWORD), is_superuser: false };
    let user =
        create_user(&txn, Acting { actor: &actor, origin: &origin }, new, &hashing, settings).await.unwrap();
    txn.commit().await.unwrap();
    user.id
}

async fn sign_in(app: &TestApp, id: Uuid, email: &str, organization: Option<Uuid>) -> Person {
    let request = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"email": email, "password": PASSWORD}).to_string()))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let cookie = response.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let csrf = response.json()["csrf_token"].as_str().unwrap().to_owned();
    Person { id, cookie, csrf, organization }
}

/// A new organization owned by a new person.
pub async fn organization(app: &TestApp, name: &str) -> Org {
    let email = format!("owner@{}.test", name.to_lowercase());
    let user_id = new_user(app, &email).await;
    let (actor, origin) = system();
    let txn = app.state().db().write().begin().await.unwrap();
    let new = NewOrganization { name: name.into(), slug: None, currency: None, time_zone: None };
    let acting = Acting { actor: &actor, origin: &origin };
    let org = create_organization(&txn, acting, user_id, new, &App::permissions_of(&apps())).await.unwrap();
    txn.commit().await.unwrap();
    Org { id: org.id, owner: sign_in(app, user_id, &email, Some(org.id)).await }
}

/// A new person with a default role in the organization.
pub async fn member(app: &TestApp, org: &Org, role: &str) -> Person {
    let email = format!("{role}-{}@example.test", Uuid::now_v7().simple());
    let user_id = new_user(app, &email).await;
    let (actor, origin) = system();
    let acting = Acting { actor: &actor, origin: &origin };
    let txn = app.state().db().write().begin().await.unwrap();
    let membership = add_member(&txn, acting, org.id, user_id).await.unwrap();
    let role_id = baseops_roles::role_by_key(&txn, org.id, role).await.unwrap().expect("a default role");
    baseops_roles::give_role(&txn, acting, org.id, membership.id, role_id).await.unwrap();
    txn.commit().await.unwrap();
    sign_in(app, user_id, &email, Some(org.id)).await
}

impl Person {
    /// Sends a request as this person, in their organization.
    pub async fn call(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(organization) = self.organization {
            request = request.header("x-organization", organization.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        app.send(request.body(body).unwrap()).await
    }

    /// Sends a prepared request (method, path, content type) with this person's session.
    pub async fn send_raw(&self, app: &TestApp, request: http::request::Builder, body: Body) -> TestResponse {
        let mut request = request.header(header::COOKIE, &self.cookie).header("x-csrf-token", &self.csrf);
        if let Some(organization) = self.organization {
            request = request.header("x-organization", organization.to_string());
        }
        app.send(request.body(body).unwrap()).await
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> TestResponse {
        self.call(app, Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, app: &TestApp, path: &str, body: Value) -> TestResponse {
        self.call(app, Method::POST, path, Some(body), &[]).await
    }

    pub async fn delete(&self, app: &TestApp, path: &str) -> TestResponse {
        self.call(app, Method::DELETE, path, None, &[]).await
    }

    /// PATCH with `If-Match` set to `version`.
    pub async fn patch(&self, app: &TestApp, path: &str, version: i64, body: Value) -> TestResponse {
        let tag = format!("\"{version}\"");
        self.call(app, Method::PATCH, path, Some(body), &[("if-match", &tag)]).await
    }

    /// Creates a task and returns its JSON; panics unless 201.
    pub async fn create_task(&self, app: &TestApp, body: Value) -> Value {
        let response = self.post(app, "/api/v1/tasks", body).await;
        assert_eq!(response.status, 201, "{}", response.text());
        response.json()
    }

    /// The task as the API shows it to this person.
    pub async fn task(&self, app: &TestApp, id: &str) -> Value {
        let response = self.get(app, &format!("/api/v1/tasks/{id}")).await;
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()
    }

    /// Moves a task to `status` with its current version; returns the response.
    pub async fn move_to(&self, app: &TestApp, id: &str, status: &str) -> TestResponse {
        let version = self.task(app, id).await["version"].as_i64().unwrap();
        self.patch(app, &format!("/api/v1/tasks/{id}"), version, json!({"status": status})).await
    }
}

/// Runs every due job (events, reminders, recurrences, digests) with a worker, as
/// `baseops worker` would, until none is due or running.
pub async fn run_jobs(state: &AppState) {
    let mut config = baseops_jobs::WorkerConfig::new(vec!["default".to_owned()]);
    config.poll = std::time::Duration::from_millis(20);
    config.grace = std::time::Duration::from_secs(5);
    let registry = baseops_tasks::register_jobs(
        baseops_jobs::Registry::new().register::<baseops_jobs::events::Dispatch>(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(baseops_jobs::Worker::new(state.clone(), registry, config).run(async move {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let due = job::Column::State
            .eq("pending")
            .and(job::Column::RunAt.lte(chrono::Utc::now()))
            .or(job::Column::State.eq("running"));
        let waiting = job::Entity::find()
            .filter(job::Column::Queue.eq("default"))
            .filter(due)
            .count(state.db().read())
            .await
            .unwrap();
        if waiting == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{waiting} jobs still due after 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    worker.await.unwrap().unwrap();
    let dead =
        job::Entity::find().filter(job::Column::State.eq("dead")).all(state.db().read()).await.unwrap();
    assert!(
        dead.is_empty(),
        "dead jobs: {:?}",
        dead.iter().map(|j| (&j.name, &j.last_error)).collect::<Vec<_>>()
    );
}

/// Enqueues a job now, outside any request.
pub async fn enqueue<J: baseops_jobs::Job>(state: &AppState, job: &J) {
    let txn = state.db().write().begin().await.unwrap();
    baseops_jobs::enqueue(&txn, baseops_jobs::Enqueue::new(job).unwrap()).await.unwrap();
    txn.commit().await.unwrap();
}

/// The notifications of one kind a user got.
pub async fn notifications(
    state: &AppState,
    user_id: Uuid,
    kind: &str,
) -> Vec<baseops_notifications::model::notification::Model> {
    use baseops_notifications::model::notification;
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Kind.eq(kind))
        .all(state.db().read())
        .await
        .unwrap()
}

pub fn id_of(task: &Value) -> String {
    task["id"].as_str().unwrap().to_owned()
}
