//! A job of the test's own that fails while its endpoint is down, and a worker for it.
//!
//! The job lives on a queue of its own, so the worker never claims a job of the build (which
//! its registry does not know and would kill), and the build's jobs never run here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baseops_jobs::model::job;
use baseops_jobs::queue::state;
use baseops_jobs::{Enqueue, Job, JobContext, JobError, Registry, Worker, WorkerConfig, enqueue};
use baseops_test_support::{Client, TestApp, run_worker_until};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The queue only [`Deliver`] jobs use.
pub const QUEUE: &str = "test_deliveries";
/// The failure a [`Deliver`] job reports while its endpoint is down.
pub const DOWN: &str = "the endpoint is down";
/// Part of every job's input: the list must never show it.
pub const SECRET: &str = "https://example.test/reset?token=never-listed";

/// The endpoint the jobs deliver to (down or up), and the runs per key, shared with the
/// worker through its state.
#[derive(Clone, Default)]
pub struct Endpoint {
    down: Arc<AtomicBool>,
    runs: Arc<Mutex<HashMap<String, u32>>>,
}

impl Endpoint {
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// How many times the job with this key ran (failed or not).
    pub fn runs(&self, key: &str) -> u32 {
        self.runs.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

/// Delivers a message with a link: dead at once (a permanent failure) while the endpoint is
/// down, as an e-mail to a refused address is.
#[derive(Serialize, Deserialize)]
pub struct Deliver {
    pub key: String,
    pub link: String,
}

#[async_trait::async_trait]
impl Job for Deliver {
    const NAME: &'static str = "test.deliver";
    const QUEUE: &'static str = QUEUE;
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let endpoint = ctx.state.extension::<Endpoint>().expect("the endpoint");
        *endpoint.runs.lock().unwrap().entry(self.key).or_default() += 1;
        if endpoint.down.load(Ordering::SeqCst) {
            return Err(JobError::permanent(DOWN));
        }
        Ok(())
    }
}

/// Enqueues a [`Deliver`] job for `organization_id`, as request `req-<key>` would; runs no
/// earlier than `after` when given.
pub async fn put(app: &TestApp, key: &str, organization_id: Uuid, after: Option<Duration>) -> Uuid {
    let job = Deliver { key: key.to_owned(), link: SECRET.to_owned() };
    let mut new = Enqueue::new(&job).unwrap().context(Some(organization_id), Some(&format!("req-{key}")));
    if let Some(delay) = after {
        new = new.after(delay);
    }
    let txn = app.state().db().write().begin().await.unwrap();
    let id = enqueue(&txn, new).await.unwrap().expect("enqueued");
    txn.commit().await.unwrap();
    id
}

/// Runs a worker of [`Deliver`] jobs until none of them is due or running.
///
/// # Panics
/// When some are still due after 20 seconds.
pub async fn work(app: &TestApp, endpoint: &Endpoint) {
    let mut config = WorkerConfig::new(vec![QUEUE.to_owned()]);
    config.poll = Duration::from_millis(20);
    let worker = Worker::new(app.state_with(endpoint.clone()), Registry::new().register::<Deliver>(), config);
    let db = app.state().db().read().clone();
    let idle = run_worker_until(worker, Duration::from_secs(20), || {
        let db = db.clone();
        async move {
            let due = job::Entity::find()
                .filter(job::Column::Queue.eq(QUEUE))
                .filter(job::Column::State.is_in([state::PENDING, state::RUNNING]))
                .filter(job::Column::RunAt.lte(chrono::Utc::now()))
                .count(&db)
                .await
                .unwrap();
            due == 0
        }
    })
    .await;
    assert!(idle, "deliveries still due after 20 s");
}

/// The stored row of a job.
pub async fn row(app: &TestApp, id: Uuid) -> job::Model {
    job::Entity::find_by_id(id).one(app.state().db().read()).await.unwrap().expect("the job exists")
}

/// A superuser signed in with a session, as the API requires.
pub async fn superuser(app: &TestApp) -> Client {
    app.superuser("root@example.test").await;
    Client::logged_in(app, "root@example.test").await
}

/// Every job `GET /api/v1/jobs{query}` lists, following the cursors.
pub async fn listed(app: &TestApp, client: &Client, query: &str) -> Vec<Value> {
    client.all_pages(app, &format!("/api/v1/jobs{query}")).await
}

/// The ids of the listed jobs that are [`Deliver`] jobs, in the list's order.
pub fn delivery_ids(items: &[Value]) -> Vec<Uuid> {
    items
        .iter()
        .filter(|item| item["name"] == Deliver::NAME)
        .map(|item| item["id"].as_str().unwrap().parse().unwrap())
        .collect()
}
