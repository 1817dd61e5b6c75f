//! A test client for the identity apps: sign in, carry the cookie and CSRF token or a bearer
//! token, choose an organization.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use baseops_core::{Acting, Actor, App, Origin};
use baseops_test_support::{TestApp, TestResponse};
use baseops_users::service::organization::{NewOrganization, create_organization};
use baseops_users::service::user::{NewUser, create_user};
use baseops_users::session_store::SessionStore;
use baseops_users::{PasswordHashing, UsersAuthenticator};
use http::{Method, Request, header};
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "blue-kettle-41-marsh";

pub fn apps() -> Vec<App> {
    vec![baseops_jobs::app(), baseops_audit::app(), baseops_users::app(), baseops_roles::app()]
}

pub async fn identity_app() -> TestApp {
    identity_app_with(&[]).await
}

pub async fn identity_app_with(settings: &[(&str, &str)]) -> TestApp {
    let mut builder =
        TestApp::builder().apps(apps()).authenticator(Arc::new(UsersAuthenticator)).prepare(|state| {
            let sessions = SessionStore::from_settings(state.settings()).expect("the session store");
            state.with_extension(sessions)
        });
    for (var, value) in settings {
        builder = builder.setting(var, value);
    }
    builder.build().await
}

/// Creates a user (and optionally an organization they own) through the services.
pub async fn user(app: &TestApp, email: &str, organization: Option<&str>) -> (Uuid, Option<Uuid>) {
    let settings = &app.settings().auth;
    let hashing = PasswordHashing::new(settings).unwrap();
    let actor = Actor::System { name: "test".into() };
    let origin = Origin::internal();
    let acting = Acting { actor: &actor, origin: &origin };
    let txn = app.state().db().write().begin().await.unwrap();
    let new = NewUser { email, display_name: "Test User", password: Some(PASSWORD), is_superuser: false };
    let user = create_user(&txn, acting, new, &hashing, settings).await.unwrap();
    let org = match organization {
        Some(name) => {
            let new = NewOrganization { name: name.into(), slug: None, currency: None, time_zone: None };
            Some(
                create_organization(&txn, acting, user.id, new, &App::permissions_of(&apps()))
                    .await
                    .unwrap()
                    .id,
            )
        }
        None => None,
    };
    txn.commit().await.unwrap();
    (user.id, org)
}

/// Credentials a request carries.
#[derive(Clone, Debug, Default)]
pub struct Client {
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
    pub organization: Option<String>,
}

impl Client {
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn bearer(token: &str) -> Self {
        Self { bearer: Some(token.to_owned()), ..Self::default() }
    }

    pub fn in_org(mut self, organization: impl ToString) -> Self {
        self.organization = Some(organization.to_string());
        self
    }

    pub fn without_csrf(mut self) -> Self {
        self.csrf = None;
        self
    }

    pub async fn login(app: &TestApp, email: &str, password: &str) -> (Self, TestResponse) {
        let response = Self::anonymous()
            .send(
                app,
                Method::POST,
                "/api/v1/auth/login",
                Some(json!({"email": email, "password": password})),
            )
            .await;
        let mut client = Self::anonymous();
        if response.status == 200 {
            let set_cookie = response.header("set-cookie").expect("a session cookie").to_owned();
            client.cookie = Some(set_cookie.split(';').next().unwrap().to_owned());
            client.csrf = Some(response.json()["csrf_token"].as_str().unwrap().to_owned());
        }
        (client, response)
    }

    pub async fn logged_in(app: &TestApp, email: &str) -> Self {
        let (client, response) = Self::login(app, email, PASSWORD).await;
        assert_eq!(response.status, 200, "{}", response.text());
        client
    }

    pub async fn send(&self, app: &TestApp, method: Method, path: &str, body: Option<Value>) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(csrf) = &self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(token) = &self.bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(org) = &self.organization {
            request = request.header("x-organization", org);
        }
        let request = match body {
            Some(body) => {
                request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string()))
            }
            None => request.body(Body::empty()),
        };
        app.send(request.unwrap()).await
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> TestResponse {
        self.send(app, Method::GET, path, None).await
    }

    pub async fn post(&self, app: &TestApp, path: &str, body: Value) -> TestResponse {
        self.send(app, Method::POST, path, Some(body)).await
    }
}

/// Adds an existing user to an organization with one default role.
pub async fn join(app: &TestApp, user_id: Uuid, organization_id: Uuid, role_key: &str) {
    let actor = Actor::System { name: "test".into() };
    let origin = Origin::internal();
    let acting = Acting { actor: &actor, origin: &origin };
    let txn = app.state().db().write().begin().await.unwrap();
    let member = baseops_users::service::organization::add_member(&txn, acting, organization_id, user_id)
        .await
        .unwrap();
    let role =
        baseops_roles::role_by_key(&txn, organization_id, role_key).await.unwrap().expect("a default role");
    baseops_roles::give_role(&txn, acting, organization_id, member.id, role).await.unwrap();
    txn.commit().await.unwrap();
}

/// Creates a superuser with no organization.
pub async fn superuser(app: &TestApp, email: &str) -> (Uuid, ()) {
    let settings = &app.settings().auth;
    let hashing = PasswordHashing::new(settings).unwrap();
    let actor = Actor::System { name: "test".into() };
    let origin = Origin::internal();
    let txn = app.state().db().write().begin().await.unwrap();
    let new = NewUser { email, display_name: "Root", password: Some(PASSWORD), is_superuser: true };
    let user =
        create_user(&txn, Acting { actor: &actor, origin: &origin }, new, &hashing, settings).await.unwrap();
    txn.commit().await.unwrap();
    (user.id, ())
}

/// The directory the file e-mail backend writes this test's messages into. Reading it first
/// sends the queued e-mail, as the worker would.
pub struct Outbox {
    dir: tempfile::TempDir,
    state: Option<baseops_core::AppState>,
}

impl Outbox {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("a temporary directory"), state: None }
    }

    pub fn path(&self) -> &str {
        self.dir.path().to_str().expect("a UTF-8 temporary path")
    }

    /// Every message sent so far, oldest first, once the due e-mail jobs have run.
    pub async fn messages(&self) -> Vec<String> {
        if let Some(state) = &self.state {
            send_queued_email(state).await;
        }
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .expect("the outbox")
            .map(|entry| entry.expect("an outbox entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        names.sort();
        names.iter().map(|path| std::fs::read_to_string(path).expect("a message")).collect()
    }

    /// The only message sent to `to` so far.
    pub async fn only_message_to(&self, to: &str) -> String {
        let header = format!("\r\nTo: {to}\r\n");
        let mut found: Vec<String> =
            self.messages().await.into_iter().filter(|m| m.contains(&header)).collect();
        assert_eq!(found.len(), 1, "messages to {to}: {found:?}");
        found.remove(0)
    }
}

/// Runs the e-mail queue's due jobs with a worker, as `baseops worker` would, and stops once
/// none is due or running (a failed one waits for its retry, not run here).
pub async fn send_queued_email(state: &baseops_core::AppState) {
    use baseops_jobs::model::job;
    use baseops_jobs::queue::state as job_state;
    use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter};

    let mut config = baseops_jobs::WorkerConfig::new(vec![baseops_email::QUEUE.to_owned()]);
    config.poll = std::time::Duration::from_millis(20);
    config.grace = std::time::Duration::from_secs(5);
    let registry = baseops_jobs::Registry::new().register::<baseops_email::SendEmail>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(baseops_jobs::Worker::new(state.clone(), registry, config).run(async move {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let due = job::Column::State
            .eq(job_state::PENDING)
            .and(job::Column::RunAt.lte(chrono::Utc::now()))
            .or(job::Column::State.eq(job_state::RUNNING));
        let waiting = job::Entity::find()
            .filter(job::Column::Queue.eq(baseops_email::QUEUE))
            .filter(due)
            .count(state.db().read())
            .await
            .expect("the jobs table");
        if waiting == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{waiting} e-mail jobs still due after 20 s");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    worker.await.expect("the worker task").expect("the worker");
}

/// An identity app whose e-mail goes to a fresh [`Outbox`], with more settings.
pub async fn identity_app_with_outbox(settings: &[(&str, &str)]) -> (TestApp, Outbox) {
    let mut outbox = Outbox::new();
    let mut all = vec![("BASEOPS_EMAIL__FILE_DIR", outbox.path())];
    all.extend_from_slice(settings);
    let app = identity_app_with(&all).await;
    outbox.state = Some(app.state().clone());
    (app, outbox)
}

/// The token in the link of a message (`…?token=<token>`).
pub fn token_in(message: &str) -> String {
    let start = message.find("?token=").expect("a link with a token") + "?token=".len();
    message[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

/// The audit events with this action, in an organization's chain or (`None`) the platform's.
pub async fn audit_events(
    app: &TestApp,
    organization_id: Option<Uuid>,
    action: &str,
) -> Vec<baseops_audit::AuditEvent> {
    let filter = baseops_audit::EventFilter {
        organization_id,
        action: Some(action.to_owned()),
        ..baseops_audit::EventFilter::default()
    };
    baseops_audit::list(app.state().db().read(), &filter).await.expect("the audit trail").items
}
