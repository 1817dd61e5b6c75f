//! Domain events: emitted in the change's transaction, delivered to every handler at least
//! once, a handler that already succeeded is not called again when another one is retried;
//! an event no handler subscribes to is recorded but costs no dispatch job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baseops_core::{Acting, Actor, Origin};
use baseops_jobs::events::{Dispatch, has_handlers};
use baseops_jobs::model::{event, job};
use baseops_jobs::{
    Delivered, Event, EventBus, Job, JobContext, JobError, Registry, Worker, WorkerConfig, emit,
};
use baseops_test_support::{TestApp, run_worker_until};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MemberInvited {
    email: String,
}

impl Event for MemberInvited {
    const NAME: &'static str = "member.invited";
}

/// Calls per handler, and how many times the flaky one should still fail.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<HashMap<&'static str, u32>>>, Arc<Mutex<u32>>);

fn bus() -> EventBus {
    EventBus::new()
        .on("notify", |delivered: Delivered<MemberInvited>, ctx: JobContext| async move {
            let calls = ctx.state.extension::<Calls>().unwrap();
            assert_eq!(delivered.event.email, "new@example.com");
            assert_eq!(delivered.actor_type, "user");
            assert_eq!(delivered.request_id, "req-42");
            *calls.0.lock().unwrap().entry("notify").or_default() += 1;
            Ok(())
        })
        .on("flaky_webhook", |_: Delivered<MemberInvited>, ctx: JobContext| async move {
            let calls = ctx.state.extension::<Calls>().unwrap();
            *calls.0.lock().unwrap().entry("flaky_webhook").or_default() += 1;
            let mut failures_left = calls.1.lock().unwrap();
            if *failures_left > 0 {
                *failures_left -= 1;
                return Err(JobError::retry("the webhook endpoint is down"));
            }
            Ok(())
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_every_handler_once_each_despite_retries() {
    let app = TestApp::new().await;
    // The handlers are subscribed before anything is emitted, as the composition root does.
    let calls = Calls(Arc::default(), Arc::new(Mutex::new(2)));
    let state = app.state_with(calls.clone()).with_extension(bus());
    let actor = Actor::User { user_id: Uuid::now_v7() };
    let origin = Origin {
        request_id: baseops_core::RequestId::from_client("req-42").unwrap(),
        ip: None,
        user_agent: None,
    };
    let org = Some(Uuid::now_v7());

    let txn = app.state().db().write().begin().await.unwrap();
    emit(
        &txn,
        Acting { actor: &actor, origin: &origin },
        org,
        &MemberInvited { email: "gone@example.com".into() },
    )
    .await
    .unwrap();
    txn.rollback().await.unwrap();
    let db = app.state().db().read();
    assert!(event::Entity::find().all(db).await.unwrap().is_empty(), "a rolled-back event stayed");
    assert!(job::Entity::find().all(db).await.unwrap().is_empty(), "a rolled-back event was dispatched");

    let txn = app.state().db().write().begin().await.unwrap();
    let id = emit(
        &txn,
        Acting { actor: &actor, origin: &origin },
        org,
        &MemberInvited { email: "new@example.com".into() },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let stored = event::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
    assert_eq!((stored.organization_id, stored.request_id.as_str()), (org, "req-42"));

    let mut config = WorkerConfig::new(vec!["default".to_owned()]);
    config.poll = Duration::from_millis(20);
    config.backoff_base = Duration::from_millis(20);
    let worker = Worker::new(state, Registry::new().register::<Dispatch>(), config);
    let delivered = run_worker_until(worker, Duration::from_secs(20), || async {
        job::Entity::find().all(db).await.unwrap().iter().all(|row| row.state == "done")
    })
    .await;
    assert!(delivered, "the dispatch job was not done within 20 s");

    let dispatch = job::Entity::find().all(db).await.unwrap();
    assert_eq!(dispatch.len(), 1);
    assert_eq!((dispatch[0].state.as_str(), dispatch[0].attempts), ("done", 3));
    let calls = calls.0.lock().unwrap().clone();
    assert_eq!(calls.get("notify"), Some(&1), "a handler that succeeded ran again on retry");
    assert_eq!(calls.get("flaky_webhook"), Some(&3));
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct NobodyListens;

impl Event for NobodyListens {
    const NAME: &'static str = "test.nobody_listens";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SomebodyListens;

impl Event for SomebodyListens {
    const NAME: &'static str = "test.somebody_listens";
}

/// Emits `event` in a transaction of its own, as the system, and commits.
async fn emit_committed<E: Event>(app: &TestApp, event: &E) -> Uuid {
    let actor = Actor::System { name: "test".into() };
    let origin = Origin::internal();
    let txn = app.state().db().write().begin().await.unwrap();
    let id = emit(&txn, Acting { actor: &actor, origin: &origin }, None, event).await.unwrap();
    txn.commit().await.unwrap();
    id
}

async fn dispatch_jobs(app: &TestApp) -> Vec<job::Model> {
    job::Entity::find()
        .filter(job::Column::Name.eq(Dispatch::NAME))
        .all(app.state().db().read())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_event_nobody_subscribes_to_is_recorded_but_enqueues_no_job() {
    let app = TestApp::new().await;
    assert!(!has_handlers(NobodyListens::NAME), "no bus of this process subscribes to it");
    let id = emit_committed(&app, &NobodyListens).await;
    let stored = event::Entity::find_by_id(id).one(app.state().db().read()).await.unwrap();
    assert_eq!(stored.map(|row| row.name), Some(NobodyListens::NAME.to_owned()), "the event is recorded");
    assert!(dispatch_jobs(&app).await.is_empty(), "a dispatch job for an event nobody listens to");
}

#[tokio::test]
async fn an_event_with_a_handler_enqueues_its_dispatch_job() {
    let app = TestApp::new().await;
    let _bus =
        EventBus::new().on("listener", |_: Delivered<SomebodyListens>, _: JobContext| async { Ok(()) });
    assert!(has_handlers(SomebodyListens::NAME));
    let id = emit_committed(&app, &SomebodyListens).await;
    let dispatch = dispatch_jobs(&app).await;
    assert_eq!(dispatch.len(), 1, "{dispatch:?}");
    let payload: Dispatch = serde_json::from_str(&dispatch[0].payload).unwrap();
    assert_eq!(payload.event_id, id, "the job dispatches this event");
}
