//! `baseops jobs retry ID | --all-dead` on the database of a running build: a dead job goes
//! back in the queue with fresh attempts, the worker runs it again, and an id that names no
//! dead job is exit 1 — so a script learns that nothing was retried.

use baseops_jobs::maintenance::PurgeFinished;
use baseops_jobs::model::job;
use baseops_jobs::queue::state;
use baseops_jobs::{Enqueue, enqueue};
use baseops_test_support::TestApp;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use crate::binary::{baseops_on, run};

/// Enqueues a job of the build and makes it dead, as a failure with no attempts left would.
async fn dead_job(app: &TestApp) -> Uuid {
    let db = app.state().db().write();
    let txn = db.begin().await.unwrap();
    // No de-duplication key: three of them may wait at once.
    let id = enqueue(&txn, Enqueue::new(&PurgeFinished).unwrap()).await.unwrap().expect("enqueued");
    txn.commit().await.unwrap();
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(state::DEAD))
        .col_expr(job::Column::Attempts, Expr::col(job::Column::MaxAttempts))
        .col_expr(job::Column::LastError, Expr::value("disk full"))
        .col_expr(job::Column::FinishedAt, Expr::value(chrono::Utc::now()))
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await
        .unwrap();
    id
}

async fn row(app: &TestApp, id: Uuid) -> job::Model {
    job::Entity::find_by_id(id).one(app.state().db().read()).await.unwrap().expect("the job exists")
}

#[tokio::test]
async fn jobs_retry_puts_dead_jobs_back_and_the_worker_runs_them_again() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let jobs = |args: &[&str]| run(baseops_on(dir.path(), app.database().url()).arg("jobs").args(args));
    let [a, b, c] = [dead_job(&app).await, dead_job(&app).await, dead_job(&app).await];

    let (code, stdout, stderr) = jobs(&["list", "--state", "dead"]);
    assert_eq!(code, 0, "{stderr}");
    for id in [a, b, c] {
        assert!(stdout.contains(&id.to_string()), "{id} is not listed: {stdout}");
    }
    assert!(stdout.contains("disk full"), "{stdout}");
    assert!(stderr.contains("dead 3"), "{stderr}");

    let (code, stdout, stderr) = jobs(&["retry", &a.to_string()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "1 job(s) back in the queue");
    let back = row(&app, a).await;
    assert_eq!((back.state.as_str(), back.attempts, back.finished_at), (state::PENDING, 0, None));
    assert!(back.run_at <= chrono::Utc::now(), "not due now: {back:?}");
    assert_eq!(row(&app, b).await.state, state::DEAD, "retry ID retried another job");

    // An id that names no dead job — one back in the queue, or none at all — is exit 1.
    for id in [a, Uuid::now_v7()] {
        let (code, stdout, stderr) = jobs(&["retry", &id.to_string()]);
        assert_eq!(code, 1, "{id}: {stdout}{stderr}");
        assert_eq!(stdout.trim(), "0 job(s) back in the queue");
        assert!(stderr.contains("no dead job has this id"), "{stderr}");
    }
    // Neither or both of ID and --all-dead, or an id that is no UUID: wrong usage.
    let a_text = a.to_string();
    for args in [&["retry"][..], &["retry", &a_text, "--all-dead"], &["retry", "not-a-uuid"]] {
        let (code, stdout, stderr) = jobs(args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
    }

    app.run_jobs().await;
    let ran = row(&app, a).await;
    assert_eq!((ran.state.as_str(), ran.attempts), (state::DONE, 1), "the retried job did not run: {ran:?}");
    assert_eq!(row(&app, c).await.state, state::DEAD);

    let (code, stdout, stderr) = jobs(&["retry", "--all-dead"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "2 job(s) back in the queue");
    app.run_jobs().await;
    for id in [b, c] {
        let ran = row(&app, id).await;
        assert_eq!((ran.state.as_str(), ran.attempts), (state::DONE, 1), "{ran:?}");
    }
    // Nothing dead is not a failure for --all-dead.
    let (code, stdout, stderr) = jobs(&["retry", "--all-dead"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "0 job(s) back in the queue");
}
