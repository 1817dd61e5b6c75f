//! Verification against the ways someone with SQL access would tamper with the trail.

use baseops_audit::chain::{GENESIS_HASH, PLATFORM_CHAIN};
use baseops_audit::{Changes, ProblemKind, verify};
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn verify_detects_an_edited_event() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_many(db, None, 5).await;
    let events = chain_events(db, None).await;
    let changed = execute(
        db,
        "UPDATE audit_events SET changes = $1 WHERE chain = $2 AND seq = 3",
        vec![r#"{"status":{"after":"lost","before":"open"}}"#.into(), PLATFORM_CHAIN.into()],
    )
    .await;
    assert_eq!(changed, 1);

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report), (PLATFORM_CHAIN, &ProblemKind::Altered { seq: 3, id: events[2].id }));
    assert_eq!(report.events_checked, 3, "the walk stops at the first problem");
    let text = report.to_string();
    assert!(text.starts_with("audit trail TAMPERED"), "{text}");
    assert!(text.contains(&format!("chain platform: event 3 ({}) was altered", events[2].id)), "{text}");
}

#[tokio::test]
async fn verify_detects_an_edited_event_even_with_a_recomputed_hash() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_many(db, None, 5).await;
    let events = chain_events(db, None).await;
    let mut edited = events[1].clone();
    edited.changes = Changes::new().set("status", "open", "lost");
    edited.hash = edited.computed_hash();
    execute(
        db,
        "UPDATE audit_events SET changes = $1, hash = $2 WHERE id = $3",
        vec![edited.changes.to_canonical_json().into(), edited.hash.clone().into(), edited.id.into()],
    )
    .await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Altered { seq: 2, id: edited.id });
}

#[tokio::test]
async fn verify_detects_a_deleted_event_in_the_middle() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_many(db, None, 5).await;
    execute(db, "DELETE FROM audit_events WHERE chain = $1 AND seq = 3", vec![PLATFORM_CHAIN.into()]).await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Deleted { after_seq: 2 });
    assert!(report.to_string().contains("chain platform: events after 2 were deleted"), "{report}");
}

#[tokio::test]
async fn verify_detects_a_deleted_last_event() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_many(db, None, 4).await;
    execute(db, "DELETE FROM audit_events WHERE chain = $1 AND seq = 4", vec![PLATFORM_CHAIN.into()]).await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Deleted { after_seq: 3 });
}

#[tokio::test]
async fn verify_detects_a_deletion_hidden_by_renumbering() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_many(db, None, 6).await;
    execute(db, "DELETE FROM audit_events WHERE chain = $1 AND seq IN (3, 4)", vec![PLATFORM_CHAIN.into()])
        .await;
    renumber(db, PLATFORM_CHAIN, 5, -2).await;
    execute(db, "UPDATE audit_chains SET seq = 4 WHERE chain = $1", vec![PLATFORM_CHAIN.into()]).await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Deleted { after_seq: 2 });
}

#[tokio::test]
async fn verify_detects_an_event_appended_behind_the_head() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_many(db, None, 3).await;
    let events = chain_events(db, None).await;
    // Perfectly linked and hashed, but the head in audit_chains was not advanced.
    let fake = forged(&events[2], 4, &events[2].hash);
    insert_forged(db, &fake).await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Inserted { seq: 4, id: fake.id });
}

#[tokio::test]
async fn verify_detects_an_event_slipped_into_the_middle() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_many(db, None, 5).await;
    let events = chain_events(db, None).await;
    renumber(db, PLATFORM_CHAIN, 3, 1).await;
    let fake = forged(&events[1], 3, &events[1].hash);
    insert_forged(db, &fake).await;
    execute(db, "UPDATE audit_chains SET seq = 6 WHERE chain = $1", vec![PLATFORM_CHAIN.into()]).await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Inserted { seq: 3, id: fake.id });
}

#[tokio::test]
async fn verify_detects_a_sloppy_insertion_and_a_missing_head() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let organization = Uuid::now_v7();
    record_many(db, Some(organization), 3).await;
    record_many(db, None, 2).await;
    let events = chain_events(db, Some(organization)).await;
    // seq 0, before the chain's first event: UNIQUE(chain, seq) does not stop it.
    let mut fake = forged(&events[0], 0, GENESIS_HASH);
    fake.hash = "f".repeat(64);
    insert_forged(db, &fake).await;
    execute(db, "DELETE FROM audit_chains WHERE chain = $1", vec![PLATFORM_CHAIN.into()]).await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(report.problems.len(), 2, "{report}");
    let problems: Vec<(&str, &ProblemKind)> =
        report.problems.iter().map(|problem| (problem.chain.as_str(), &problem.kind)).collect();
    let organization = organization.to_string();
    assert!(
        problems.contains(&(organization.as_str(), &ProblemKind::Inserted { seq: 0, id: fake.id })),
        "{report}"
    );
    assert!(problems.contains(&(PLATFORM_CHAIN, &ProblemKind::HeadMissing { last_seq: 2 })), "{report}");
}
