//! Domain events: emitted in the change's transaction, delivered to every handler at least
//! once, a handler that already succeeded is not called again when another one is retried.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baseops_core::{Acting, Actor, Origin};
use baseops_jobs::events::Dispatch;
use baseops_jobs::model::{event, job};
use baseops_jobs::{Delivered, Event, EventBus, JobContext, JobError, Registry, Worker, WorkerConfig, emit};
use baseops_test_support::TestApp;
use sea_orm::{EntityTrait, TransactionTrait};
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
    let app = TestApp::builder()
        .apps(vec![baseops_jobs::app()])
        .prepare(|state| {
            state.with_extension(Calls(Arc::default(), Arc::new(Mutex::new(2)))).with_extension(bus())
        })
        .build()
        .await;
    let calls = app.state().extension::<Calls>().unwrap().clone();
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
    let worker = Worker::new(app.state().clone(), Registry::new().register::<Dispatch>(), config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let dispatch = job::Entity::find().all(db).await.unwrap();
        if dispatch.iter().all(|row| row.state == "done") || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    running.await.unwrap().unwrap();

    let dispatch = job::Entity::find().all(db).await.unwrap();
    assert_eq!(dispatch.len(), 1);
    assert_eq!((dispatch[0].state.as_str(), dispatch[0].attempts), ("done", 3));
    let calls = calls.0.lock().unwrap().clone();
    assert_eq!(calls.get("notify"), Some(&1), "a handler that succeeded ran again on retry");
    assert_eq!(calls.get("flaky_webhook"), Some(&3));
}
