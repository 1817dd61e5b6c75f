//! Recurrence, reminders and the overdue digest, through the job queue and the worker.

use baseops_tasks::job::{CreateNextOccurrence, OverdueDigest, RecurrenceTick};
use baseops_tasks::model::task;
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use crate::common::{enqueue, id_of, member, notifications, organization, run_jobs, tasks_app};

async fn series(app: &baseops_test_support::TestApp, series_id: Uuid) -> Vec<task::Model> {
    task::Entity::find()
        .filter(task::Column::RecurrenceId.eq(series_id))
        .order_by_asc(task::Column::RecurrenceSeq)
        .all(app.state().db().read())
        .await
        .unwrap()
}

#[tokio::test]
async fn completing_a_recurring_task_creates_exactly_one_next_occurrence() {
    let app = tasks_app().await;
    let acme = organization(&app, "Acme").await;
    let owner = &acme.owner;
    let helper = member(&app, &acme, "sales").await;
    let due = (Utc::now() + Duration::days(3)).format("%Y-%m-%dT09:00:00Z").to_string();
    let first = owner
        .create_task(
            &app,
            json!({
                "title": "Weekly report", "due_at": due, "assignees": [helper.id], "labels": ["ops"],
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
        assert_eq!(owner.move_to(&app, &id_of(&first), stage).await.status, 200);
    }
    run_jobs(app.state()).await;
    // The same job again, the schedule, and completing the old one again change nothing.
    enqueue(app.state(), &CreateNextOccurrence { series_id, after_seq: 1 }).await;
    enqueue(app.state(), &RecurrenceTick).await;
    run_jobs(app.state()).await;
    let occurrences = series(&app, series_id).await;
    assert_eq!(occurrences.len(), 2, "exactly one next occurrence");
    let next = &occurrences[1];
    assert_eq!((next.recurrence_seq, next.status.as_str()), (Some(2), "todo"));
    assert_eq!(next.due_at.unwrap() - occurrences[0].due_at.unwrap(), Duration::days(7));
    let shown = owner.task(&app, &next.id.to_string()).await;
    assert_eq!((shown["assignees"].clone(), shown["labels"].clone()), (json!([helper.id]), json!(["ops"])));
    assert_eq!(notifications(app.state(), helper.id, "task.assigned").await.len(), 2, "assigned to both");

    // Reopening and completing the first again does not add a third.
    assert_eq!(owner.move_to(&app, &id_of(&first), "todo").await.status, 200);
    for stage in ["in_progress", "in_review", "done"] {
        owner.move_to(&app, &id_of(&first), stage).await;
    }
    run_jobs(app.state()).await;
    assert_eq!(series(&app, series_id).await.len(), 2);

    // Stopping the series: completing the latest creates nothing more.
    let latest = next.id.to_string();
    let stop = owner.patch(&app, &format!("/api/v1/tasks/{latest}"), 1, json!({"recurrence": null})).await;
    assert_eq!(stop.status, 200, "{}", stop.text());
    for stage in ["in_progress", "in_review", "done"] {
        owner.move_to(&app, &latest, stage).await;
    }
    run_jobs(app.state()).await;
    assert_eq!(series(&app, series_id).await.len(), 2);
}

#[tokio::test]
async fn the_schedule_creates_an_occurrence_due_within_a_day_once() {
    let app = tasks_app().await;
    let acme = organization(&app, "Acme").await;
    let due = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let first = acme
        .owner
        .create_task(
            &app,
            json!({"title": "Daily stand-up", "due_at": due, "recurrence": {"frequency": "daily"}}),
        )
        .await;
    let series_id: Uuid = first["recurrence"]["series_id"].as_str().unwrap().parse().unwrap();
    enqueue(app.state(), &RecurrenceTick).await;
    run_jobs(app.state()).await;
    enqueue(app.state(), &RecurrenceTick).await;
    run_jobs(app.state()).await;
    let occurrences = series(&app, series_id).await;
    assert_eq!(occurrences.len(), 2, "the next one, due in 23 hours, and no more");
}

#[tokio::test]
async fn assignees_are_reminded_before_the_due_time_and_overdue_tasks_are_digested() {
    let app = tasks_app().await;
    let acme = organization(&app, "Acme").await;
    let owner = &acme.owner;
    let assignee = member(&app, &acme, "manager").await;
    let watcher = member(&app, &acme, "viewer").await;
    let soon = (Utc::now() + Duration::minutes(30)).to_rfc3339();
    let later = (Utc::now() + Duration::days(2)).to_rfc3339();
    owner.create_task(&app, json!({"title": "Due soon", "due_at": soon, "assignees": [assignee.id]})).await;
    owner.create_task(&app, json!({"title": "Due later", "due_at": later, "assignees": [assignee.id]})).await;
    let late = owner
        .create_task(&app, json!({"title": "Late report", "due_at": "2021-03-01T12:00:00Z", "assignees": [assignee.id], "watchers": [watcher.id]}))
        .await;
    run_jobs(app.state()).await;
    let reminders = notifications(app.state(), assignee.id, "task.reminder").await;
    assert_eq!(reminders.len(), 1, "only the task due within the lead time");
    assert!(reminders[0].title.contains("Due soon"));

    enqueue(app.state(), &OverdueDigest).await;
    run_jobs(app.state()).await;
    enqueue(app.state(), &OverdueDigest).await;
    run_jobs(app.state()).await;
    let overdue = notifications(app.state(), assignee.id, "task.overdue").await;
    assert_eq!(overdue.len(), 1, "once per task and due time");
    assert_eq!(overdue[0].link.as_deref(), Some(format!("/tasks/{}", id_of(&late)).as_str()));
    assert_eq!(notifications(app.state(), watcher.id, "task.overdue").await.len(), 1, "watchers too");
    for person in [assignee.id, owner.id] {
        let digests = notifications(app.state(), person, "task.overdue_digest").await;
        assert_eq!(digests.len(), 2, "one per digest run, to assignee and creator");
        assert!(digests[0].body.contains("Late report") && !digests[0].body.contains("Due soon"));
    }
    assert!(notifications(app.state(), watcher.id, "task.overdue_digest").await.is_empty());
}

#[tokio::test]
async fn status_changes_and_comments_notify_assignees_and_watchers_but_not_the_actor() {
    let app = tasks_app().await;
    let acme = organization(&app, "Acme").await;
    let owner = &acme.owner;
    let assignee = member(&app, &acme, "manager").await;
    let watcher = member(&app, &acme, "viewer").await;
    let task = owner
        .create_task(
            &app,
            json!({"title": "Ship", "assignees": [assignee.id, owner.id], "watchers": [watcher.id]}),
        )
        .await;
    owner.move_to(&app, &id_of(&task), "in_progress").await;
    assignee
        .post(&app, &format!("/api/v1/tasks/{}/comments", id_of(&task)), json!({"body": "Started"}))
        .await;
    run_jobs(app.state()).await;
    assert_eq!(notifications(app.state(), watcher.id, "task.created").await.len(), 1);
    assert_eq!(notifications(app.state(), assignee.id, "task.assigned").await.len(), 1);
    assert!(
        notifications(app.state(), owner.id, "task.assigned").await.is_empty(),
        "not told of their own act"
    );
    for person in [assignee.id, watcher.id] {
        assert_eq!(notifications(app.state(), person, "task.status_changed").await.len(), 1);
    }
    assert_eq!(notifications(app.state(), owner.id, "task.commented").await.len(), 1);
    assert_eq!(notifications(app.state(), watcher.id, "task.commented").await.len(), 1);
    assert!(
        notifications(app.state(), assignee.id, "task.commented").await.is_empty(),
        "the author is not told"
    );
}
