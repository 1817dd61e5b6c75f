//! Verification against the ways someone with SQL access would tamper with the trail.

use baseops_audit::chain::{GENESIS_HASH, PLATFORM_CHAIN};
use baseops_audit::{Changes, ProblemKind, verify};
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn verify_detects_an_edited_event() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_sealed(db, None, 5).await;
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
    record_sealed(db, None, 5).await;
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
    record_sealed(db, None, 5).await;
    execute(db, "DELETE FROM audit_events WHERE chain = $1 AND seq = 3", vec![PLATFORM_CHAIN.into()]).await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Deleted { after_seq: 2 });
    assert!(report.to_string().contains("chain platform: events after 2 were deleted"), "{report}");
}

#[tokio::test]
async fn verify_detects_a_deleted_last_event() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_sealed(db, None, 4).await;
    execute(db, "DELETE FROM audit_events WHERE chain = $1 AND seq = 4", vec![PLATFORM_CHAIN.into()]).await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Deleted { after_seq: 3 });
}

#[tokio::test]
async fn verify_detects_a_deletion_hidden_by_renumbering() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_sealed(db, None, 6).await;
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
    record_sealed(db, None, 3).await;
    let events = chain_events(db, None).await;
    // Perfectly linked and hashed, but the head in audit_chains was not advanced.
    let fake = forged(&events[2], 4, hash_of(&events[2]));
    insert_forged(db, &fake).await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Inserted { seq: 4, id: fake.id });
}

#[tokio::test]
async fn verify_detects_an_event_slipped_into_the_middle() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_sealed(db, None, 5).await;
    let events = chain_events(db, None).await;
    renumber(db, PLATFORM_CHAIN, 3, 1).await;
    let fake = forged(&events[1], 3, hash_of(&events[1]));
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
    record_sealed(db, Some(organization), 3).await;
    record_sealed(db, None, 2).await;
    let events = chain_events(db, Some(organization)).await;
    // seq 0, before the chain's first event: UNIQUE(chain, seq) does not stop it.
    let mut fake = forged(&events[0], 0, GENESIS_HASH);
    fake.hash = Some("f".repeat(64));
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

/// Swaps the positions of two events of the chain, as an attacker reordering history would.
async fn swap(db: &sea_orm::DatabaseConnection, chain: &str, a: i64, b: i64) {
    let sql = "UPDATE audit_events SET seq = $1 WHERE chain = $2 AND seq = $3";
    execute(db, sql, vec![(-a).into(), chain.into(), a.into()]).await;
    execute(db, sql, vec![a.into(), chain.into(), b.into()]).await;
    execute(db, sql, vec![b.into(), chain.into(), (-a).into()]).await;
}

#[tokio::test]
async fn verify_detects_swapped_events() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_sealed(db, None, 5).await;
    let events = chain_events(db, None).await;
    swap(db, PLATFORM_CHAIN, 3, 4).await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Reordered { seq: 3, id: events[3].id, sealed_at: 4 });
    assert!(
        report
            .to_string()
            .contains(&format!("event 3 ({}) was moved: it was sealed at position 4", events[3].id)),
        "{report}"
    );
}

#[tokio::test]
async fn verify_detects_an_event_moved_to_the_end() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_sealed(db, None, 5).await;
    let events = chain_events(db, None).await;
    // Event 2 goes last; 3, 4, 5 move up one to close the gap.
    execute(
        db,
        "UPDATE audit_events SET seq = 100 WHERE chain = $1 AND seq = 2",
        vec![PLATFORM_CHAIN.into()],
    )
    .await;
    renumber(db, PLATFORM_CHAIN, 3, -1).await;
    execute(
        db,
        "UPDATE audit_events SET seq = 5 WHERE chain = $1 AND seq = 100",
        vec![PLATFORM_CHAIN.into()],
    )
    .await;

    let report = verify(db, None).await.unwrap();
    assert_eq!(only_problem(&report).1, &ProblemKind::Reordered { seq: 2, id: events[2].id, sealed_at: 3 });
}

#[tokio::test]
async fn verify_detects_partly_sealed_events() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let organization = Uuid::now_v7();
    record_sealed(db, Some(organization), 3).await;
    record_committed(db, None, "user.update", "u-1").await;
    let unsealed = chain_events(db, None).await[0].clone();
    // An unsealed event given a hash (to pass it off as sealed), a sealed one stripped of its
    // link.
    execute(
        db,
        "UPDATE audit_events SET hash = $1 WHERE id = $2",
        vec!["f".repeat(64).into(), unsealed.id.into()],
    )
    .await;
    execute(
        db,
        "UPDATE audit_events SET prev_hash = NULL WHERE chain = $1 AND seq = 2",
        vec![organization.to_string().into()],
    )
    .await;
    let stripped = chain_events(db, Some(organization)).await[1].id;

    assert_eq!(seal_all(db).await, 0, "the sealer leaves a partly sealed event alone");
    let report = verify(db, None).await.unwrap();
    assert_eq!(report.problems.len(), 2, "{report}");
    let organization = organization.to_string();
    for (chain, kind) in [
        (PLATFORM_CHAIN, ProblemKind::PartlySealed { id: unsealed.id }),
        (organization.as_str(), ProblemKind::Altered { seq: 2, id: stripped }),
    ] {
        assert!(
            report.problems.iter().any(|problem| problem.chain == chain && problem.kind == kind),
            "{report}"
        );
    }
    assert!(report.to_string().contains(&format!("event {} is partly sealed", unsealed.id)), "{report}");
}

#[tokio::test]
async fn unsealing_a_sealed_event_reads_as_a_deletion_even_once_sealed_again() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_sealed(db, None, 4).await;
    let unseal =
        "UPDATE audit_events SET seq = NULL, prev_hash = NULL, hash = NULL WHERE chain = $1 AND seq = $2";
    execute(db, unseal, vec![PLATFORM_CHAIN.into(), 2_i64.into()]).await;

    let deleted = ProblemKind::Deleted { after_seq: 1 };
    assert_eq!(only_problem(&verify(db, None).await.unwrap()).1, &deleted);
    assert_eq!(seal_all(db).await, 1, "sealed again, at the end");
    assert_eq!(only_problem(&verify(db, None).await.unwrap()).1, &deleted);
}

#[tokio::test]
async fn verify_reports_how_far_sealing_lags() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let organization = Uuid::now_v7();
    record_sealed(db, Some(organization), 2).await;
    record_many(db, Some(organization), 3).await;
    record_committed(db, None, "user.update", "u-1").await;
    let oldest = chain_events(db, Some(organization)).await[2].created_at;
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;

    let report = verify(db, None).await.unwrap();
    assert!(report.is_ok(), "waiting to be sealed is not tampering: {report}");
    assert_eq!(report.events_checked, 2, "only sealed events are walked");
    assert_eq!(report.unsealed_events(), 4);
    let lags: Vec<(&str, u64)> = report.unsealed.iter().map(|lag| (lag.chain.as_str(), lag.events)).collect();
    let organization = organization.to_string();
    assert_eq!(lags, [(organization.as_str(), 3), (PLATFORM_CHAIN, 1)]);
    let longest = report.longest_wait().unwrap();
    assert_eq!((longest.chain.as_str(), longest.oldest_created_at), (organization.as_str(), oldest));
    assert!((60..60_000).contains(&longest.oldest_age_ms), "{longest:?}");
    let text = report.to_string();
    assert!(text.starts_with("audit trail intact: 2 chain(s), 2 event(s) checked"), "{text}");
    assert!(
        text.contains("\nsealing: 4 event(s) in 2 chain(s) not sealed yet; the oldest was recorded "),
        "{text}"
    );
    assert!(text.ends_with(&format!("(chain {organization})")), "{text}");

    let one_chain = verify(db, Some(PLATFORM_CHAIN)).await.unwrap();
    assert_eq!(one_chain.unsealed_events(), 1);

    assert_eq!(seal_all(db).await, 4);
    let report = verify(db, None).await.unwrap();
    assert!(report.unsealed.is_empty() && report.events_checked == 6, "{report}");
    assert!(report.to_string().ends_with("\nsealing: every event is sealed"), "{report}");
}
