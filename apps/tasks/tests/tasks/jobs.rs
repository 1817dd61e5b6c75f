//! Recurrence, reminders and the overdue digest, through the job queue and the worker.

use baseops_tasks::job::{CreateNextOccurrence, OverdueDigest, RecurrenceTick};
use baseops_tasks::model;
use baseops_test_support::TestApp;
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use crate::support::{assert_no_job_died, create_task, enqueue, id_of, move_to, notifications, task};

/// The tasks of a recurring series, in order.
async fn series(app: &TestApp, series_id: Uuid) -> Vec<model::task::Model> {
    model::task::Entity::find()
        .filter(model::task::Column::RecurrenceId.eq(series_id))
        .order_by_asc(model::task::Column::RecurrenceSeq)
        .all(app.state().db().read())
        .await
        .unwrap()
}

#[tokio::test]
async fn completing_a_recurring_task_creates_exactly_one_next_occurrence() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let helper = app.as_role("sales").await;
    let due = (Utc::now() + Duration::days(3)).format("%Y-%m-%dT09:00:00Z").to_string();
    let first = create_task(
        &app,
        owner,
        json!({
            "title": "Weekly report", "due_at": due, "assignees": [helper.user_id], "labels": ["ops"],
            "recurrence": {"frequency": "daily", "interval": 7},
        }),
    )
    .await;
    let series_id: Uuid = first["recurrence"]["series_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(first["recurrence"]["sequence"], 1);
    owner
        .post(&app, "/api/v1/tasks", json!({"title": "no due", "recurrence": {"frequency": "daily"}}))
        .await
        .assert_problem(422, "validation_failed");

    for stage in ["in_progress", "in_review", "done"] {
        assert_eq!(move_to(&app, owner, &id_of(&first), stage).await.status, 200);
    }
    app.run_jobs().await;
    assert_no_job_died(&app).await;
    // The same job again, the schedule, and completing the old one again change nothing.
    enqueue(&app, &CreateNextOccurrence { series_id, after_seq: 1 }).await;
    enqueue(&app, &RecurrenceTick).await;
    app.run_jobs().await;
    assert_no_job_died(&app).await;
    let occurrences = series(&app, series_id).await;
    assert_eq!(occurrences.len(), 2, "exactly one next occurrence");
    let next = &occurrences[1];
    assert_eq!((next.recurrence_seq, next.status.as_str()), (Some(2), "todo"));
    assert_eq!(next.due_at.unwrap() - occurrences[0].due_at.unwrap(), Duration::days(7));
    let shown = task(&app, owner, &next.id.to_string()).await;
    assert_eq!(
        (shown["assignees"].clone(), shown["labels"].clone()),
        (json!([helper.user_id]), json!(["ops"]))
    );
    assert_eq!(notifications(&app, helper.user_id, "task.assigned").await.len(), 2, "assigned to both");

    // Reopening and completing the first again does not add a third.
    assert_eq!(move_to(&app, owner, &id_of(&first), "todo").await.status, 200);
    for stage in ["in_progress", "in_review", "done"] {
        assert_eq!(move_to(&app, owner, &id_of(&first), stage).await.status, 200, "{stage}");
    }
    app.run_jobs().await;
    assert_no_job_died(&app).await;
    assert_eq!(series(&app, series_id).await.len(), 2);

    // Stopping the series: completing the latest creates nothing more.
    let latest = next.id.to_string();
    let stop =
        owner.patch(&app, &format!("/api/v1/tasks/{latest}"), json!({"recurrence": null}), Some(1)).await;
    assert_eq!(stop.status, 200, "{}", stop.text());
    for stage in ["in_progress", "in_review", "done"] {
        assert_eq!(move_to(&app, owner, &latest, stage).await.status, 200, "{stage}");
    }
    app.run_jobs().await;
    assert_no_job_died(&app).await;
    assert_eq!(series(&app, series_id).await.len(), 2);
}

#[tokio::test]
async fn the_schedule_creates_an_occurrence_due_within_a_day_once() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let due = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let first = create_task(
        &app,
        owner,
        json!({"title": "Daily stand-up", "due_at": due, "recurrence": {"frequency": "daily"}}),
    )
    .await;
    let series_id: Uuid = first["recurrence"]["series_id"].as_str().unwrap().parse().unwrap();
    enqueue(&app, &RecurrenceTick).await;
    app.run_jobs().await;
    assert_no_job_died(&app).await;
    enqueue(&app, &RecurrenceTick).await;
    app.run_jobs().await;
    assert_no_job_died(&app).await;
    let occurrences = series(&app, series_id).await;
    assert_eq!(occurrences.len(), 2, "the next one, due in 23 hours, and no more");
}

#[tokio::test]
async fn assignees_are_reminded_before_the_due_time_and_overdue_tasks_are_digested() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let assignee = app.as_role("manager").await;
    let watcher = app.as_role("viewer").await;
    let soon = (Utc::now() + Duration::minutes(30)).to_rfc3339();
    let later = (Utc::now() + Duration::days(2)).to_rfc3339();
    create_task(&app, owner, json!({"title": "Due soon", "due_at": soon, "assignees": [assignee.user_id]}))
        .await;
    create_task(&app, owner, json!({"title": "Due later", "due_at": later, "assignees": [assignee.user_id]}))
        .await;
    let late = create_task(&app, owner, json!({"title": "Late report", "due_at": "2021-03-01T12:00:00Z", "assignees": [assignee.user_id], "watchers": [watcher.user_id]}))
        .await;
    app.run_jobs().await;
    assert_no_job_died(&app).await;
    let reminders = notifications(&app, assignee.user_id, "task.reminder").await;
    assert_eq!(reminders.len(), 1, "only the task due within the lead time");
    assert!(reminders[0].title.contains("Due soon"));

    enqueue(&app, &OverdueDigest).await;
    app.run_jobs().await;
    assert_no_job_died(&app).await;
    enqueue(&app, &OverdueDigest).await;
    app.run_jobs().await;
    assert_no_job_died(&app).await;
    let overdue = notifications(&app, assignee.user_id, "task.overdue").await;
    assert_eq!(overdue.len(), 1, "once per task and due time");
    assert_eq!(overdue[0].link.as_deref(), Some(format!("/tasks/{}", id_of(&late)).as_str()));
    assert_eq!(notifications(&app, watcher.user_id, "task.overdue").await.len(), 1, "watchers too");
    for person in [assignee.user_id, owner.user_id] {
        let digests = notifications(&app, person, "task.overdue_digest").await;
        assert_eq!(digests.len(), 2, "one per digest run, to assignee and creator");
        assert!(digests[0].body.contains("Late report") && !digests[0].body.contains("Due soon"));
    }
    assert!(notifications(&app, watcher.user_id, "task.overdue_digest").await.is_empty());
}

#[tokio::test]
async fn status_changes_and_comments_notify_assignees_and_watchers_but_not_the_actor() {
    let app = TestApp::new().await;
    let owner = &app.org().await.owner;
    let assignee = app.as_role("manager").await;
    let watcher = app.as_role("viewer").await;
    let task = create_task(&app, owner, json!({"title": "Ship", "assignees": [assignee.user_id, owner.user_id], "watchers": [watcher.user_id]}),
        )
        .await;
    assert_eq!(move_to(&app, owner, &id_of(&task), "in_progress").await.status, 200);
    let comment = assignee
        .post(&app, &format!("/api/v1/tasks/{}/comments", id_of(&task)), json!({"body": "Started"}))
        .await;
    assert_eq!(comment.status, 201, "{}", comment.text());
    app.run_jobs().await;
    assert_no_job_died(&app).await;
    assert_eq!(notifications(&app, watcher.user_id, "task.created").await.len(), 1);
    assert_eq!(notifications(&app, assignee.user_id, "task.assigned").await.len(), 1);
    assert!(
        notifications(&app, owner.user_id, "task.assigned").await.is_empty(),
        "not told of their own act"
    );
    for person in [assignee.user_id, watcher.user_id] {
        assert_eq!(notifications(&app, person, "task.status_changed").await.len(), 1);
    }
    assert_eq!(notifications(&app, owner.user_id, "task.commented").await.len(), 1);
    assert_eq!(notifications(&app, watcher.user_id, "task.commented").await.len(), 1);
    assert!(
        notifications(&app, assignee.user_id, "task.commented").await.is_empty(),
        "the author is not told"
    );
}
