//! Reading the trail: filters, cursor pagination, exports, unsealed events.

use baseops_audit::{Changes, EventFilter, ListError, for_each, list, record, verify};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn list_filters_and_pages_newest_first() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let (organization, other) = (Uuid::now_v7(), Uuid::now_v7());
    let (ann, bob, origin) = (user(), user(), origin());
    let txn = db.begin().await.unwrap();
    let mut ids = Vec::new();
    for index in 0..7 {
        let actor = if index % 2 == 0 { &ann } else { &bob };
        let action = if index < 4 { "lead.update" } else { "task.create" };
        let entity_id = format!("e-{}", index % 3);
        ids.push(
            record(&txn, entry(Some(organization), actor, &origin, action, &entity_id, Changes::new()))
                .await
                .unwrap(),
        );
    }
    record(&txn, entry(Some(other), &ann, &origin, "lead.update", "e-0", Changes::new())).await.unwrap();
    record(&txn, entry(None, &ann, &origin, "lead.update", "e-0", Changes::new())).await.unwrap();
    txn.commit().await.unwrap();
    let read = app.state().db().read();

    let base = EventFilter { organization_id: Some(organization), ..EventFilter::default() };
    let all = list(read, &base).await.unwrap();
    assert_eq!(
        all.items.iter().map(|event| event.id).collect::<Vec<_>>(),
        ids.iter().rev().copied().collect::<Vec<_>>()
    );
    assert_eq!(all.next_cursor, None);

    let count = |filter: EventFilter| async move { list(read, &filter).await.unwrap().items.len() };
    assert_eq!(count(EventFilter { actor_id: ann.id(), ..base.clone() }).await, 4);
    assert_eq!(count(EventFilter { action: Some("task.create".into()), ..base.clone() }).await, 3);
    let entity =
        EventFilter { entity_type: Some("lead".into()), entity_id: Some("e-0".into()), ..base.clone() };
    assert_eq!(count(entity).await, 2);
    assert_eq!(count(EventFilter { organization_id: Some(other), ..EventFilter::default() }).await, 1);
    assert_eq!(count(EventFilter::default()).await, 1, "None is the platform chain only");
    assert_eq!(
        count(EventFilter { organization_id: Some(Uuid::now_v7()), ..EventFilter::default() }).await,
        0
    );
    let middle = all.items[3].created_at;
    let newer = count(EventFilter { since: Some(middle), ..base.clone() }).await;
    let older = count(EventFilter { until: Some(middle), ..base.clone() }).await;
    assert_eq!(newer + older, 7);
    assert!(newer >= 4 && older <= 3, "since is inclusive, until exclusive");
    let future = chrono::Utc::now() + chrono::Duration::hours(1);
    assert_eq!(count(EventFilter { since: Some(future), ..base.clone() }).await, 0);

    // Pages of 3: 3 + 3 + 1, in the same order as one big page, nothing twice.
    let mut paged = Vec::new();
    let mut filter = EventFilter { limit: Some(3), ..base.clone() };
    let mut pages = 0;
    loop {
        let page = list(read, &filter).await.unwrap();
        pages += 1;
        paged.extend(page.items.iter().map(|event| event.id));
        match page.next_cursor {
            Some(cursor) => filter.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(paged, all.items.iter().map(|event| event.id).collect::<Vec<_>>());

    // Limits are capped; junk cursors are refused.
    let huge = list(read, &EventFilter { limit: Some(10_000), ..base.clone() }).await.unwrap();
    assert_eq!(huge.items.len(), 7);
    for junk in ["nope", "' OR 1=1 --", &"0".repeat(47)] {
        let result = list(read, &EventFilter { cursor: Some(junk.to_owned()), ..base.clone() }).await;
        assert!(matches!(result, Err(ListError::InvalidCursor)), "{junk}");
        let problem = baseops_core::ApiError::from(ListError::InvalidCursor).problem();
        assert_eq!((problem.status, problem.code.as_str()), (400, "invalid_cursor"));
    }

    // The events serialize for the API and exports; not sealed yet, they have no place in
    // the chain, and a reader sees them all the same.
    let json = serde_json::to_value(&all).unwrap();
    for field in ["seq", "prev_hash", "hash"] {
        assert_eq!(json["items"][0][field], serde_json::Value::Null, "{field}");
    }
    assert_eq!(json["items"][0]["organization_id"], organization.to_string());
    assert!(json["items"][0]["created_at"].as_str().unwrap().ends_with('Z'));

    assert_eq!(seal_all(db).await, 9);
    let sealed = list(read, &base).await.unwrap();
    assert_eq!(
        sealed.items.iter().map(|event| event.id).collect::<Vec<_>>(),
        paged,
        "sealing keeps the order"
    );
    let json = serde_json::to_value(&sealed).unwrap();
    assert_eq!(json["items"][0]["seq"], 7);
    assert_eq!(json["items"][6]["prev_hash"], baseops_audit::chain::GENESIS_HASH);
}

#[tokio::test]
async fn for_each_walks_every_page_and_stops_on_error() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let organization = Uuid::now_v7();
    let (actor, origin) = (user(), origin());
    let txn = db.begin().await.unwrap();
    for index in 0..205 {
        record(
            &txn,
            entry(Some(organization), &actor, &origin, "lead.update", &index.to_string(), Changes::new()),
        )
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
    assert_eq!(seal_all(db).await, 205);
    let filter =
        EventFilter { organization_id: Some(organization), limit: Some(2), ..EventFilter::default() };

    let mut lines = Vec::new();
    let visited = for_each(db, &filter, |event| -> Result<(), ListError> {
        lines.push(serde_json::to_string(&event).unwrap());
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!((visited, lines.len()), (205, 205));
    assert!(lines[0].contains("\"seq\":205"));

    let mut seen = 0;
    let stopped = for_each(db, &filter, |_| {
        seen += 1;
        if seen == 3 { Err(ListError::InvalidCursor) } else { Ok(()) }
    })
    .await;
    assert!(matches!(stopped, Err(ListError::InvalidCursor)));
    assert_eq!(seen, 3);

    let report = verify(db, None).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.events_checked, 205, "walked in batches");
}
