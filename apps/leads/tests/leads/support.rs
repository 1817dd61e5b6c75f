//! Test support: an app with the identity apps, notifications, the leads app and the tasks
//! app (linked to leads as in the composition root), members with default roles and bearer
//! tokens, and a worker that runs import and event jobs on demand.

use std::sync::Arc;

use axum::body::Body;
use baseops_core::{Acting, Actor, App, AppState, Links, Origin};
use baseops_test_support::{TestApp, TestResponse};
use baseops_users::service::organization::{NewOrganization, add_member, create_organization};
use baseops_users::service::token::{NewToken, create_token};
use baseops_users::service::user::{NewUser, create_user};
use baseops_users::{PasswordHashing, UsersAuthenticator};
use http::{Method, Request, header};
use sea_orm::TransactionTrait;
use serde_json::Value;
use uuid::Uuid;

pub fn apps() -> Vec<App> {
    vec![
        baseops_jobs::app(),
        baseops_audit::app(),
        baseops_idempotency::app(),
        baseops_users::app(),
        baseops_roles::app(),
        baseops_notifications::app(),
        baseops_customers::app(),
        baseops_leads::app(),
        baseops_tasks::app(),
    ]
}

fn prepare(state: AppState) -> AppState {
    let links = Links::default().with_target(baseops_leads::LeadLinks).with_source(baseops_tasks::TaskLinks);
    let bus = baseops_leads::subscribe(baseops_jobs::EventBus::new());
    state.with_extension(links).with_extension(bus)
}

pub async fn leads_app() -> TestApp {
    leads_app_with(&[]).await
}

pub async fn leads_app_with(settings: &[(&str, &str)]) -> TestApp {
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

/// A member of an organization, with a bearer token carrying every permission they hold.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub token: String,
}

/// Creates an organization owned by a new user `email`.
pub async fn organization(app: &TestApp, name: &str, owner_email: &str) -> Member {
    let user_id = new_user(app, owner_email).await;
    let (actor, origin) = system();
    let acting = Acting { actor: &actor, origin: &origin };
    let txn = app.state().db().write().begin().await.unwrap();
    let new =
        NewOrganization { name: name.into(), slug: None, currency: Some("EUR".into()), time_zone: None };
    let org = create_organization(&txn, acting, user_id, new, &App::permissions_of(&apps())).await.unwrap();
    txn.commit().await.unwrap();
    let token = token_for(app, user_id, org.id).await;
    Member { user_id, organization_id: org.id, token }
}

async fn new_user(app: &TestApp, email: &str) -> Uuid {
    let settings = &app.settings().auth;
    let hashing = PasswordHashing::new(settings).unwrap();
    let (actor, origin) = system();
    let txn = app.state().db().write().begin().await.unwrap();
    let new = NewUser { email, display_name: "Test User", password: None, is_superuser: false };
    let user =
        create_user(&txn, Acting { actor: &actor, origin: &origin }, new, &hashing, settings).await.unwrap();
    txn.commit().await.unwrap();
    user.id
}

/// A new user in `organization_id` with one default role.
pub async fn member(app: &TestApp, organization_id: Uuid, email: &str, role_key: &str) -> Member {
    let user_id = new_user(app, email).await;
    let (actor, origin) = system();
    let acting = Acting { actor: &actor, origin: &origin };
    let txn = app.state().db().write().begin().await.unwrap();
    let membership = add_member(&txn, acting, organization_id, user_id).await.unwrap();
    let role =
        baseops_roles::role_by_key(&txn, organization_id, role_key).await.unwrap().expect("a default role");
    baseops_roles::give_role(&txn, acting, organization_id, membership.id, role).await.unwrap();
    txn.commit().await.unwrap();
    let token = token_for(app, user_id, organization_id).await;
    Member { user_id, organization_id, token }
}

async fn token_for(app: &TestApp, user_id: Uuid, organization_id: Uuid) -> String {
    let (actor, origin) = system();
    let txn = app.state().db().write().begin().await.unwrap();
    let held = baseops_roles::grants_for(&txn, user_id, organization_id).await.unwrap().unwrap_or_default();
    let scopes: Vec<String> = held.keys().cloned().collect();
    if scopes.is_empty() {
        return String::new();
    }
    let new = NewToken { name: "test", scopes: &scopes, expires_at: None };
    let created =
        create_token(&txn, Acting { actor: &actor, origin: &origin }, user_id, organization_id, &held, new)
            .await
            .unwrap();
    txn.commit().await.unwrap();
    created.token
}

impl Member {
    pub async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path);
        request = request.header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        for (name, value) in headers {
            request = request.header(*name, *value);
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
        self.send(app, Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, app: &TestApp, path: &str, body: Value) -> TestResponse {
        self.send(app, Method::POST, path, Some(body), &[]).await
    }

    pub async fn patch(&self, app: &TestApp, path: &str, body: Value, version: Option<i64>) -> TestResponse {
        let etag = version.map(|version| format!("\"{version}\""));
        let headers: Vec<(&str, &str)> = etag.iter().map(|etag| ("if-match", etag.as_str())).collect();
        self.send(app, Method::PATCH, path, Some(body), &headers).await
    }

    pub async fn delete(&self, app: &TestApp, path: &str) -> TestResponse {
        self.send(app, Method::DELETE, path, None, &[]).await
    }

    /// Creates a lead, asserting 201, and returns it.
    pub async fn create_lead(&self, app: &TestApp, body: Value) -> Value {
        let response = self.post(app, "/api/v1/leads", body).await;
        assert_eq!(response.status, 201, "{}", response.text());
        response.json()
    }

    /// Uploads a CSV file for import (multipart), with optional extra form fields.
    pub async fn upload(&self, app: &TestApp, file: &[u8], fields: &[(&str, &str)]) -> TestResponse {
        let boundary = "leadsboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leads.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::post("/api/v1/leads/imports")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        app.send(request).await
    }

    /// All leads this member sees (every page).
    pub async fn all_leads(&self, app: &TestApp, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/leads?limit=200{query}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let response = self.get(app, &path).await;
            assert_eq!(response.status, 200, "{}", response.text());
            let page = response.json();
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}

/// Runs the due jobs (imports, event dispatch) as a worker would, until none is due.
pub async fn run_jobs(app: &TestApp) {
    use baseops_jobs::model::job;
    use baseops_jobs::queue::state as job_state;
    use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter};

    let state = app.state();
    let mut config = baseops_jobs::WorkerConfig::new(vec!["default".to_owned()]);
    config.poll = std::time::Duration::from_millis(20);
    config.grace = std::time::Duration::from_secs(30);
    let registry = baseops_jobs::Registry::new()
        .register::<baseops_jobs::events::Dispatch>()
        .register::<baseops_leads::ValidateImport>()
        .register::<baseops_leads::CommitImport>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(baseops_jobs::Worker::new(state.clone(), registry, config).run(async move {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let due = job::Column::State
            .eq(job_state::PENDING)
            .and(job::Column::RunAt.lte(chrono::Utc::now()))
            .or(job::Column::State.eq(job_state::RUNNING));
        let waiting = job::Entity::find()
            .filter(job::Column::Queue.eq("default"))
            .filter(due)
            .count(state.db().read())
            .await
            .expect("the jobs table");
        if waiting == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{waiting} jobs still due after 120 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    worker.await.expect("the worker task").expect("the worker");
}

/// The audit events with this action in an organization's chain.
pub async fn audit_events(
    app: &TestApp,
    organization_id: Uuid,
    action: &str,
) -> Vec<baseops_audit::AuditEvent> {
    let filter = baseops_audit::EventFilter {
        organization_id: Some(organization_id),
        action: Some(action.to_owned()),
        limit: Some(200),
        ..baseops_audit::EventFilter::default()
    };
    baseops_audit::list(app.state().db().read(), &filter).await.expect("the audit trail").items
}

/// The default pipeline's stages by name → id.
pub async fn stages(app: &TestApp, member: &Member) -> std::collections::HashMap<String, String> {
    let response = member.get(app, "/api/v1/leads/pipelines").await;
    assert_eq!(response.status, 200, "{}", response.text());
    let pipelines = response.json();
    let default = pipelines.as_array().unwrap().iter().find(|p| p["is_default"] == true).unwrap().clone();
    default["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|stage| (stage["name"].as_str().unwrap().to_owned(), stage["id"].as_str().unwrap().to_owned()))
        .collect()
}

/// The names of every domain event emitted so far.
pub async fn event_names(app: &TestApp) -> Vec<String> {
    use sea_orm::EntityTrait;
    baseops_jobs::model::event::Entity::find()
        .all(app.state().db().read())
        .await
        .expect("the events table")
        .into_iter()
        .map(|event| event.name)
        .collect()
}
