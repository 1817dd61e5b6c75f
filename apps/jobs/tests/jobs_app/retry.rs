//! `POST /api/v1/jobs/{id}/retry` and `POST /api/v1/jobs/retry-dead`: a dead job goes back in
//! the queue with fresh attempts and a worker runs it again; only dead jobs are retried.

use baseops_jobs::queue::state;
use baseops_test_support::TestApp;
use serde_json::json;
use uuid::Uuid;

use crate::support::{Endpoint, put, row, superuser, work};

#[tokio::test]
async fn a_retried_dead_job_runs_again_and_retry_dead_takes_every_dead_job() {
    let app = TestApp::new().await;
    let org = app.org().await.id;
    let root = superuser(&app).await;
    let endpoint = Endpoint::default();
    let done = put(&app, "fine", org, None).await;
    work(&app, &endpoint).await;
    endpoint.set_down(true);
    let [a, b, c] =
        [put(&app, "a", org, None).await, put(&app, "b", org, None).await, put(&app, "c", org, None).await];
    work(&app, &endpoint).await;
    for id in [a, b, c] {
        assert_eq!(row(&app, id).await.state, state::DEAD);
    }

    // The cause is fixed; one job is retried.
    endpoint.set_down(false);
    let retried = root.post(&app, &format!("/api/v1/jobs/{a}/retry"), json!({})).await;
    assert_eq!(retried.status, 200, "{}", retried.text());
    assert_eq!(retried.json(), json!({"retried": 1}));
    let back = row(&app, a).await;
    assert_eq!((back.state.as_str(), back.attempts), (state::PENDING, 0), "fresh attempts");
    assert!(back.finished_at.is_none() && back.run_at <= chrono::Utc::now(), "due now: {back:?}");

    // Only a dead job is retried: not one back in the queue, a done one, or none at all.
    for id in [a, done, Uuid::now_v7()] {
        let response = root.post(&app, &format!("/api/v1/jobs/{id}/retry"), json!({})).await;
        response.assert_problem(404, "not_found");
    }
    assert_eq!(row(&app, done).await.state, state::DONE);

    work(&app, &endpoint).await;
    let ran = row(&app, a).await;
    assert_eq!((ran.state.as_str(), ran.attempts), (state::DONE, 1), "{ran:?}");
    assert_eq!(endpoint.runs("a"), 2, "the retried job ran again");
    for (id, key) in [(b, "b"), (c, "c")] {
        assert_eq!(row(&app, id).await.state, state::DEAD, "{key} was retried with a");
        assert_eq!(endpoint.runs(key), 1);
    }

    // Every dead job at once; then there is none left to retry.
    let all = root.post(&app, "/api/v1/jobs/retry-dead", json!({})).await;
    assert_eq!(all.status, 200, "{}", all.text());
    assert_eq!(all.json(), json!({"retried": 2}));
    work(&app, &endpoint).await;
    for (id, key) in [(b, "b"), (c, "c")] {
        let ran = row(&app, id).await;
        assert_eq!((ran.state.as_str(), ran.attempts), (state::DONE, 1), "{key}: {ran:?}");
        assert_eq!(endpoint.runs(key), 2, "{key} did not run again");
    }
    assert_eq!(endpoint.runs("fine"), 1, "a done job ran again");
    let none = root.post(&app, "/api/v1/jobs/retry-dead", json!({})).await;
    assert_eq!(none.status, 200, "{}", none.text());
    assert_eq!(none.json(), json!({"retried": 0}));
}
