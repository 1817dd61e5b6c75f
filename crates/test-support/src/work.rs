//! What happens after a request: the worker run until nothing is due, the e-mails it sent,
//! the audit trail and the domain events recorded.

use std::time::{Duration, Instant};

use baseops_jobs::model::{event, job};
use baseops_jobs::queue::state;
use baseops_jobs::{Worker, WorkerConfig};
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::TestApp;

/// How long [`TestApp::run_jobs`] waits for the due jobs before failing the test.
const IDLE_DEADLINE: Duration = Duration::from_secs(120);

impl TestApp {
    /// Runs every due job of every queue with the build's job registry, as `baseops worker`
    /// would (schedules aside), until none is due or running. Jobs due later (a retry after
    /// back-off, a reminder) are left waiting.
    ///
    /// # Panics
    /// When jobs are still due after two minutes, or a job died because no app of the build
    /// registers its type — an enqueue that would fail silently in production.
    pub async fn run_jobs(&self) {
        let registry = self.apps().jobs();
        let mut config = WorkerConfig::new(registry.queues());
        config.poll = Duration::from_millis(20);
        config.grace = Duration::from_secs(30);
        let worker = Worker::new(self.state().clone(), registry, config);
        let db = self.state().db().read().clone();
        let idle = run_worker_until(worker, IDLE_DEADLINE, || {
            let db = db.clone();
            async move {
                let due = job::Column::State
                    .eq(state::PENDING)
                    .and(job::Column::RunAt.lte(chrono::Utc::now()))
                    .or(job::Column::State.eq(state::RUNNING));
                job::Entity::find().filter(due).count(&db).await.expect("the jobs table") == 0
            }
        })
        .await;
        assert!(idle, "jobs still due after {IDLE_DEADLINE:?}");
        let orphans: Vec<String> = job::Entity::find()
            .filter(job::Column::State.eq(state::DEAD))
            .filter(job::Column::LastError.like("no job named %"))
            .all(self.state().db().read())
            .await
            .expect("the jobs table")
            .into_iter()
            .map(|job| job.name)
            .collect();
        assert!(orphans.is_empty(), "jobs enqueued that no app of the build registers: {orphans:?}");
    }

    /// The app's state built afresh — settings, database, every app's services — with one
    /// more `extension`, through which a test's own job or handler reports to the test (the
    /// app's own state is shared already and takes no more). Give it to the test's worker.
    pub fn state_with<T: Clone + Send + Sync + 'static>(&self, extension: T) -> baseops_core::AppState {
        let state = self.state();
        self.apps()
            .state(state.settings().clone(), state.db().clone(), state.migrator().clone())
            .unwrap_or_else(|error| panic!("the services: {error}"))
            .with_extension(extension)
    }

    /// Every e-mail sent so far (as `.eml` text), oldest first, once the due jobs have run.
    pub async fn emails(&self) -> Vec<String> {
        self.run_jobs().await;
        let outbox = self.files_dir().join("outbox");
        let Ok(entries) = std::fs::read_dir(&outbox) else { return Vec::new() };
        let mut paths: Vec<_> = entries
            .map(|entry| entry.expect("an outbox entry").path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
            .collect();
        paths.sort();
        paths.iter().map(|path| std::fs::read_to_string(path).expect("a message")).collect()
    }

    /// The only e-mail sent to `to` so far.
    ///
    /// # Panics
    /// When there is none, or more than one.
    pub async fn only_email_to(&self, to: &str) -> String {
        let header = format!("\r\nTo: {to}\r\n");
        let mut found: Vec<String> =
            self.emails().await.into_iter().filter(|m| m.contains(&header)).collect();
        assert_eq!(found.len(), 1, "messages to {to}: {found:?}");
        found.remove(0)
    }

    /// The audit events with this action (newest first, at most 200), in an organization's
    /// chain or (`None`) the platform's.
    pub async fn audit(&self, organization_id: Option<Uuid>, action: &str) -> Vec<baseops_audit::AuditEvent> {
        let filter = baseops_audit::EventFilter {
            organization_id,
            action: Some(action.to_owned()),
            limit: Some(200),
            ..baseops_audit::EventFilter::default()
        };
        baseops_audit::list(self.state().db().read(), &filter).await.expect("the audit trail").items
    }

    /// The names of every domain event recorded so far, oldest first.
    pub async fn event_names(&self) -> Vec<String> {
        use sea_orm::QueryOrder;
        event::Entity::find()
            .order_by_asc(event::Column::Id)
            .all(self.state().db().read())
            .await
            .expect("the events table")
            .into_iter()
            .map(|event| event.name)
            .collect()
    }
}

/// A worker running in the background of a test, while the test acts around it.
pub struct RunningWorker {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), sea_orm::DbErr>>,
}

impl RunningWorker {
    /// Starts `worker`.
    pub fn start(worker: Worker) -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));
        Self { stop, task }
    }

    /// Stops it gracefully (running jobs finish or are given back).
    ///
    /// # Panics
    /// When the worker failed.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("the worker task").expect("the worker");
    }
}

/// Runs `worker` until `done` answers true (asked every 10 ms) or `deadline` passes, then
/// stops it gracefully; returns whether `done` held.
///
/// # Panics
/// When the worker fails.
pub async fn run_worker_until<F, Fut>(worker: Worker, deadline: Duration, mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let running = RunningWorker::start(worker);
    let until = Instant::now() + deadline;
    let mut held = done().await;
    while !held && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
        held = done().await;
    }
    running.stop().await;
    held
}

/// The token of the link in an e-mail (`…?token=<token>`).
///
/// # Panics
/// When the message has no such link.
pub fn link_token(message: &str) -> String {
    let start = message.find("?token=").expect("a link with a token") + "?token=".len();
    message[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}
