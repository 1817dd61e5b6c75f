//! Tasks linked to leads show in the lead's timeline, cannot reach another organization's
//! lead, and follow a merge; a new owner is told about their lead.

use baseops_test_support::{Client, TestApp};
use serde_json::{Value, json};

use crate::support::create_lead;

/// The `task` entries of a lead's timeline, oldest first: (change, status, title).
async fn task_entries(
    app: &TestApp,
    member: &Client,
    lead_id: &str,
) -> Vec<(String, Option<String>, String)> {
    let response = member.get(app, &format!("/api/v1/leads/{lead_id}/activities?limit=200")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let mut entries: Vec<_> = response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|activity| activity["kind"] == "task")
        .map(|activity| {
            (
                activity["data"]["change"].as_str().unwrap().to_owned(),
                activity["data"]["status"].as_str().map(str::to_owned),
                activity["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    entries.reverse();
    entries
}

fn entry(change: &str, status: Option<&str>, title: &str) -> (String, Option<String>, String) {
    (change.to_owned(), status.map(str::to_owned), title.to_owned())
}

async fn create_task(app: &TestApp, member: &Client, body: Value) -> Value {
    let response = member.post(app, "/api/v1/tasks", body).await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

async fn task(app: &TestApp, member: &Client, id: &str) -> Value {
    let response = member.get(app, &format!("/api/v1/tasks/{id}")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

#[tokio::test]
async fn linked_tasks_appear_in_the_timeline_and_follow_a_merge() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let globex = app.organization("Globex").await.owner;
    let lead = create_lead(&app, &owner, json!({"first_name": "Ada", "email": "ada@example.com"})).await;
    let other = create_lead(&app, &owner, json!({"first_name": "Grace", "email": "grace@example.com"})).await;
    let foreign = create_lead(&app, &globex, json!({"first_name": "Hidden"})).await;
    let (lead_id, other_id) = (lead["id"].as_str().unwrap(), other["id"].as_str().unwrap());

    let call = create_task(
        &app,
        &owner,
        json!({"title": "Call Ada back", "related_type": "lead", "related_id": lead_id}),
    )
    .await;
    let call_id = call["id"].as_str().unwrap();
    assert_eq!(task_entries(&app, &owner, lead_id).await, [entry("linked", None, "Call Ada back")]);
    let timeline = owner.get(&app, &format!("/api/v1/leads/{lead_id}/activities")).await.json();
    assert_eq!(timeline["items"][0]["data"]["task_id"], call_id);
    assert_eq!(timeline["items"][0]["author_id"], owner.user_id.to_string());

    // Another organization's lead, or one that does not exist, cannot be linked; nothing is
    // created.
    for target in [foreign["id"].clone(), json!(uuid::Uuid::now_v7())] {
        let response = owner
            .post(
                &app,
                "/api/v1/tasks",
                json!({"title": "Snoop", "related_type": "lead", "related_id": target}),
            )
            .await;
        response.assert_problem(422, "validation_failed");
        assert!(response.json()["errors"]["related_id"].is_array(), "{}", response.text());
    }
    let listed = owner.get(&app, "/api/v1/tasks?q=Snoop").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
    assert!(task_entries(&app, &globex, foreign["id"].as_str().unwrap()).await.is_empty());
    // A kind no installed app owns is kept as given.
    create_task(
        &app,
        &owner,
        json!({"title": "Chase invoice", "related_type": "invoice", "related_id": uuid::Uuid::now_v7()}),
    )
    .await;

    // Moving the task shows; relinking it leaves one lead and reaches the other.
    let path = format!("/api/v1/tasks/{call_id}");
    let moved = owner.patch(&app, &path, json!({"status": "in_progress"}), Some(1)).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let relinked = owner.patch(&app, &path, json!({"related_id": other_id}), Some(2)).await;
    assert_eq!(relinked.status, 200, "{}", relinked.text());
    assert_eq!(
        task_entries(&app, &owner, lead_id).await,
        [
            entry("linked", None, "Call Ada back"),
            entry("status", Some("in_progress"), "Call Ada back"),
            entry("unlinked", None, "Call Ada back"),
        ]
    );
    assert_eq!(task_entries(&app, &owner, other_id).await, [entry("linked", None, "Call Ada back")]);
    // A relink to another organization's lead is refused and changes nothing.
    owner
        .patch(&app, &path, json!({"related_id": foreign["id"]}), Some(3))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(task(&app, &owner, call_id).await["version"], 3);

    // Merging `other` into `lead` points the task back at `lead`.
    let merged =
        owner.post(&app, &format!("/api/v1/leads/{lead_id}/merge"), json!({"merge_ids": [other_id]})).await;
    assert_eq!(merged.status, 200, "{}", merged.text());
    let after = task(&app, &owner, call_id).await;
    assert_eq!(after["related_id"], lead_id);
    assert_eq!(after["version"], 4, "the relink is a change of the task");
    assert_eq!(app.audit(Some(owner.organization_id), "task.relink").await.len(), 1);
    let by_lead =
        owner.get(&app, &format!("/api/v1/tasks?related_type=lead&related_id={lead_id}")).await.json();
    assert_eq!(by_lead["items"].as_array().unwrap().len(), 1);

    // Deleting the task is the last entry.
    assert_eq!(owner.delete(&app, &path).await.status, 204);
    let entries = task_entries(&app, &owner, lead_id).await;
    assert_eq!(entries.last(), Some(&entry("unlinked", None, "Call Ada back")));
    assert!(!app.audit(Some(owner.organization_id), "lead.task_activity").await.is_empty());
}

#[tokio::test]
async fn a_new_owner_is_notified_unless_they_took_the_lead_themselves() {
    let app = TestApp::new().await;
    let owner = app.organization("Acme").await.owner;
    let sales = app.member_with_email(owner.organization_id, "sales@acme.test", "sales").await;
    let manager = app.member_with_email(owner.organization_id, "manager@acme.test", "manager").await;

    let given = create_lead(
        &app,
        &owner,
        json!({"first_name": "Ada", "company": "Engines", "owner_id": sales.user_id}),
    )
    .await;
    let taken = create_lead(&app, &owner, json!({"first_name": "Grace", "owner_id": sales.user_id})).await;
    let assign = format!("/api/v1/leads/{}/assign", taken["id"].as_str().unwrap());
    let response = manager.post(&app, &assign, json!({"owner_id": manager.user_id})).await;
    assert_eq!(response.status, 200, "{}", response.text());
    app.run_jobs().await;

    // One's inbox is read from a session, not with a token.
    sales.get(&app, "/api/v1/notifications").await.assert_problem(403, "session_required");
    let sales_inbox = Client::logged_in(&app, &sales.email).await;
    let notes = sales_inbox.get(&app, "/api/v1/notifications").await;
    assert_eq!(notes.status, 200, "{}", notes.text());
    let items = notes.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().all(|item| item["kind"] == "lead.assigned"), "{items:?}");
    let given = format!("/leads/{}", given["id"].as_str().unwrap());
    assert!(items.iter().any(|item| item["link"] == given.as_str()), "{items:?}");
    let mine = Client::logged_in(&app, &manager.email).await.get(&app, "/api/v1/notifications").await.json();
    assert!(mine["items"].as_array().unwrap().is_empty(), "taking a lead yourself: {mine}");

    // Handlers run at least once: dispatching the same events again adds nothing.
    redispatch(&app, "lead.assigned").await;
    app.run_jobs().await;
    assert_eq!(
        sales_inbox.get(&app, "/api/v1/notifications").await.json()["items"].as_array().unwrap().len(),
        2
    );
}

/// Enqueues the dispatch of every recorded event named `name` once more, as a retry would.
async fn redispatch(app: &TestApp, name: &str) {
    use baseops_jobs::model::event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

    let db = app.state().db().write();
    let events = event::Entity::find().filter(event::Column::Name.eq(name)).all(db).await.unwrap();
    assert_eq!(events.len(), 3, "two creations for someone else and one reassignment");
    let txn = db.begin().await.unwrap();
    for recorded in events {
        let dispatch = baseops_jobs::events::Dispatch { event_id: recorded.id };
        baseops_jobs::enqueue(&txn, baseops_jobs::Enqueue::new(&dispatch).unwrap()).await.unwrap();
    }
    txn.commit().await.unwrap();
}
