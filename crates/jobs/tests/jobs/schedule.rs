//! Recurring jobs: however many workers look at a schedule at once, each tick is enqueued
//! once; a tick missed for too long is skipped.

use baseops_config::JobsSettings;
use baseops_jobs::model::job;
use baseops_jobs::schedule::{Schedule, resolve, run_due};
use baseops_jobs::{Enqueue, Job, JobContext, JobError, Recurring};
use baseops_test_support::TestApp;
use chrono::{TimeZone, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Tick;

#[async_trait::async_trait]
impl Job for Tick {
    const NAME: &'static str = "test.tick";

    async fn run(self, _ctx: &JobContext) -> Result<(), JobError> {
        Ok(())
    }
}

const EVERY_FIVE_MINUTES: Recurring =
    Recurring { name: "every_five_minutes", cron: "*/5 * * * *", job: || Enqueue::new(&Tick) };

fn schedules(app: &TestApp) -> Vec<Schedule> {
    let settings: &JobsSettings = &app.state().settings().jobs;
    resolve(&[EVERY_FIVE_MINUTES], settings).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_tick_is_enqueued_once_however_many_workers_try() {
    let app = TestApp::new().await;
    let schedules = schedules(&app);
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 7, 30).unwrap();
    let mut tries = Vec::new();
    for _ in 0..8 {
        let (db, schedules) = (app.state().db().write().clone(), schedules.clone());
        tries.push(tokio::spawn(async move { run_due(&db, &schedules, now).await.unwrap() }));
    }
    let mut enqueued = 0;
    for attempt in tries {
        enqueued += attempt.await.unwrap();
    }
    assert_eq!(enqueued, 1, "one tick was enqueued {enqueued} times");

    // Later within the same tick: nothing; the next tick: one more.
    let db = app.state().db().write();
    assert_eq!(run_due(db, &schedules, now + chrono::Duration::minutes(2)).await.unwrap(), 0);
    assert_eq!(run_due(db, &schedules, now + chrono::Duration::minutes(3)).await.unwrap(), 1);
    let jobs = job::Entity::find().all(app.state().db().read()).await.unwrap();
    let mut keys: Vec<String> = jobs.iter().filter_map(|row| row.dedup_key.clone()).collect();
    keys.sort();
    let expected = [10 * 60 + 5, 10 * 60 + 10].map(|minute| {
        let tick = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + chrono::Duration::minutes(minute);
        format!("schedule:every_five_minutes:{}", tick.timestamp())
    });
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn a_tick_missed_for_longer_than_the_catch_up_window_is_skipped() {
    let app =
        TestApp::with_settings(&[("BASEOPS_JOBS__SCHEDULES__EVERY_FIVE_MINUTES__CRON", "0 0 1 1 *")]).await;
    let schedules = schedules(&app);
    assert_eq!(schedules[0].expression, "0 0 1 1 *", "the environment overrides the declared expression");
    let db = app.state().db().write();
    let late = Utc.with_ymd_and_hms(2026, 1, 3, 0, 0, 0).unwrap();
    assert_eq!(run_due(db, &schedules, late).await.unwrap(), 0, "two days late is too late");
    let in_time = Utc.with_ymd_and_hms(2026, 1, 1, 20, 0, 0).unwrap();
    assert_eq!(run_due(db, &schedules, in_time).await.unwrap(), 1, "twenty hours late still runs, once");
    assert_eq!(run_due(db, &schedules, in_time).await.unwrap(), 0);
}
