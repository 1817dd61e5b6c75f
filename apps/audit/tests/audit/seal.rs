//! Sealing: order and numbering, batches, transactions still open, concurrent writers and
//! sealers, damaged chains, the sealer loop.

use std::collections::BTreeSet;
use std::time::Duration;

use baseops_audit::chain::{GENESIS_HASH, PLATFORM_CHAIN};
use baseops_audit::seal::{SEAL_LOCK_KEY, batch_size};
use baseops_audit::{AuditEvent, Changes, SealOutcome, record, run_sealer, seal, verify};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait};
use uuid::Uuid;

use crate::support::*;

/// Records `count` events on one chain in a single transaction.
async fn record_in_one_transaction(db: &DatabaseConnection, organization_id: Option<Uuid>, count: usize) {
    let (actor, origin) = (user(), origin());
    let txn = db.begin().await.unwrap();
    for index in 0..count {
        record(
            &txn,
            entry(organization_id, &actor, &origin, "lead.update", &index.to_string(), Changes::new()),
        )
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
}

/// Asserts the events, in `seq` order, are numbered 1..=n and each links to the one before.
fn assert_gap_free(events: &[AuditEvent]) {
    let mut sorted = events.to_vec();
    sorted.sort_by_key(|event| event.seq);
    let expected: Vec<Option<i64>> = (1..=events.len() as i64).map(Some).collect();
    assert_eq!(seqs(&sorted), expected, "numbered without gaps");
    assert_eq!(sorted[0].prev_hash.as_deref(), Some(GENESIS_HASH));
    for pair in sorted.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash, "no fork at seq {:?}", pair[1].seq);
    }
    for event in &sorted {
        assert_eq!(event.computed_hash(), event.hash, "seq {:?}", event.seq);
    }
}

#[tokio::test]
async fn sealing_numbers_committed_events_in_recording_order() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let organization = Uuid::now_v7();
    record_many(db, Some(organization), 3).await;
    record_committed(db, None, "user.update", "u-1").await;
    let recorded = chain_events(db, Some(organization)).await;
    assert_eq!(seqs(&recorded), [None, None, None], "recorded unsealed, listed at once");
    assert!(recorded.iter().all(|event| event.prev_hash.is_none() && event.hash.is_none()));
    assert_eq!(head(db, &organization.to_string()).await, None, "recording never touches the head");

    assert_eq!(seal(db).await.unwrap(), SealOutcome::Sealed { events: 4, more: false, damaged_chains: 0 });
    let sealed = chain_events(db, Some(organization)).await;
    assert_eq!(seqs(&sealed), [Some(1), Some(2), Some(3)], "in recording (id) order");
    assert_gap_free(&sealed);
    assert_eq!(head(db, &organization.to_string()).await, Some((3, hash_of(&sealed[2]).to_owned())));
    assert_eq!(seqs(&chain_events(db, None).await), [Some(1)]);
    assert_eq!(seal(db).await.unwrap(), SealOutcome::Sealed { events: 0, more: false, damaged_chains: 0 });

    // Later events continue the chain from its head.
    record_many(db, Some(organization), 2).await;
    assert_eq!(seal_all(db).await, 2);
    let events = chain_events(db, Some(organization)).await;
    assert_gap_free(&events);
    assert_eq!(events[3].prev_hash, sealed[2].hash);
    let report = verify(db, None).await.unwrap();
    assert!(report.is_ok() && report.unsealed.is_empty(), "{report}");
    assert_eq!(report.events_checked, 6);
}

#[tokio::test]
async fn a_full_batch_asks_for_another_round_that_continues_the_chain() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let batch = batch_size(db.get_database_backend());
    let count = batch as usize + 5;
    record_in_one_transaction(db, None, count).await;

    assert_eq!(seal(db).await.unwrap(), SealOutcome::Sealed { events: batch, more: true, damaged_chains: 0 });
    assert_eq!(seal(db).await.unwrap(), SealOutcome::Sealed { events: 5, more: false, damaged_chains: 0 });
    let events = chain_events(db, None).await;
    assert_eq!(events.len(), count);
    assert_gap_free(&events);
    assert_eq!(
        seqs(&events),
        (1..=count as i64).map(Some).collect::<Vec<_>>(),
        "sealed in the order recorded, across rounds"
    );
    let report = verify(db, None).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.events_checked, count as u64);
}

#[tokio::test]
async fn an_event_of_an_open_transaction_is_sealed_after_those_committed_before_it() {
    let app = audit_app().await;
    let db = app.state().db().write();
    if !on_postgres(db) {
        // SQLite has one writer: a second transaction can't commit while the first is open.
        return;
    }
    let (actor, origin) = (user(), origin());
    let slow = db.begin().await.unwrap();
    let early =
        record(&slow, entry(None, &actor, &origin, "lead.update", "slow", Changes::new())).await.unwrap();
    record_committed(db, None, "lead.update", "fast").await;

    assert_eq!(
        seal(db).await.unwrap(),
        SealOutcome::Sealed { events: 1, more: false, damaged_chains: 0 },
        "only what committed"
    );
    slow.commit().await.unwrap();
    assert_eq!(seal_all(db).await, 1);

    let mut events = chain_events(db, None).await;
    assert_eq!(events[0].id, early, "recorded first…");
    events.sort_by_key(|event| event.seq);
    assert_eq!(
        events.iter().map(|event| (event.entity_id.as_str(), event.seq)).collect::<Vec<_>>(),
        [("fast", Some(1)), ("slow", Some(2))],
        "…but committed last, so appended last"
    );
    assert_gap_free(&events);
    assert!(verify(db, None).await.unwrap().is_ok());
}

#[tokio::test]
async fn concurrent_writers_with_a_sealer_running_never_fork_or_gap_the_chain() {
    const WRITERS: usize = 20;
    const TRANSACTIONS: usize = 5;
    let app = audit_app().await;
    let db = app.state().db().write().clone();
    let organization = Uuid::now_v7();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let sealer = tokio::spawn(run_sealer(db.clone(), stopped));

    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let db = db.clone();
        writers.spawn(async move {
            for transaction in 0..TRANSACTIONS {
                let (actor, origin) = (user(), origin());
                let txn = db.begin().await?;
                let entity_id = format!("{writer}-{transaction}");
                record(
                    &txn,
                    entry(Some(organization), &actor, &origin, "lead.update", &entity_id, Changes::new()),
                )
                .await?;
                // Stay open a moment, as a service finishing its own writes would.
                tokio::task::yield_now().await;
                txn.commit().await?;
            }
            Ok::<_, DbErr>(())
        });
    }
    while let Some(result) = writers.join_next().await {
        result.expect("task").expect("writes commit");
    }

    // The running sealer catches up on its own.
    let total = (WRITERS * TRANSACTIONS) as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let report = verify(&db, None).await.unwrap();
        assert!(report.is_ok(), "never a fork or a gap, even mid-way: {report}");
        if report.unsealed.is_empty() && report.events_checked == total {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the sealer fell behind: {report}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), sealer).await.expect("the sealer stops when told").unwrap();

    let events = chain_events(&db, Some(organization)).await;
    assert_gap_free(&events);
    let entities: BTreeSet<&str> = events.iter().map(|event| event.entity_id.as_str()).collect();
    assert_eq!(entities.len(), WRITERS * TRANSACTIONS, "every write recorded exactly once");
    let last = events.iter().max_by_key(|event| event.seq).unwrap();
    assert_eq!(head(&db, &organization.to_string()).await, Some((total as i64, hash_of(last).to_owned())));
}

#[tokio::test]
async fn a_sealer_waits_its_turn_and_two_never_seal_an_event_twice() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let count = 2 * batch_size(db.get_database_backend()) as usize + 500;
    record_in_one_transaction(db, None, count).await;
    record_many(db, Some(Uuid::now_v7()), 3).await;

    if on_postgres(db) {
        // Another node's sealer at work holds the lock: this one backs off without touching
        // anything.
        let other = db.begin().await.unwrap();
        let lock = Statement::from_sql_and_values(
            other.get_database_backend(),
            "SELECT pg_advisory_xact_lock($1)",
            [SEAL_LOCK_KEY.into()],
        );
        other.execute_raw(lock).await.unwrap();
        assert_eq!(seal(db).await.unwrap(), SealOutcome::Busy);
        assert_eq!(head(db, PLATFORM_CHAIN).await, None);
        other.commit().await.unwrap();
    }

    // Four sealers at once: each event sealed by exactly one of them.
    let mut sealers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let db = db.clone();
        sealers.spawn(async move { baseops_audit::seal_pending(&db).await });
    }
    let mut sealed = 0;
    while let Some(result) = sealers.join_next().await {
        sealed += result.expect("task").expect("sealing never fails on a race");
    }
    assert_eq!(sealed, count as u64 + 3);
    let events = chain_events(db, None).await;
    assert_eq!(events.len(), count);
    assert_gap_free(&events);
    let report = verify(db, None).await.unwrap();
    assert!(report.is_ok() && report.unsealed.is_empty(), "{report}");
    assert_eq!(report.events_checked, count as u64 + 3);
}

#[tokio::test]
async fn the_sealer_loop_seals_soon_and_stops_when_told() {
    let app = audit_app().await;
    let db = app.state().db().write().clone();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let sealer = tokio::spawn(run_sealer(db.clone(), stopped));

    record_committed(&db, None, "user.update", "u-1").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while chain_events(&db, None).await[0].seq.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "not sealed within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), sealer).await.expect("stops at once").unwrap();
    record_committed(&db, None, "user.update", "u-2").await;
    tokio::time::sleep(baseops_audit::seal::SEAL_INTERVAL * 2).await;
    assert_eq!(seqs(&chain_events(&db, None).await), [Some(1), None], "stopped for good");

    // A dropped sender stops it too.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let sealer = tokio::spawn(run_sealer(db.clone(), stopped));
    drop(stop);
    tokio::time::timeout(Duration::from_secs(5), sealer).await.expect("stops at once").unwrap();
}

#[tokio::test]
async fn a_damaged_chain_is_left_out_and_the_others_are_sealed() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let (damaged, intact) = (Uuid::now_v7(), Uuid::now_v7());
    record_sealed(db, Some(damaged), 2).await;
    record_sealed(db, None, 1).await;
    // A forged event at one chain's next position; another chain's head deleted.
    let sealed = chain_events(db, Some(damaged)).await;
    let fake = forged(&sealed[1], 3, hash_of(&sealed[1]));
    insert_forged(db, &fake).await;
    execute(db, "DELETE FROM audit_chains WHERE chain = $1", vec![PLATFORM_CHAIN.into()]).await;
    record_many(db, Some(damaged), 2).await;
    record_many(db, None, 1).await;
    record_many(db, Some(intact), 3).await;

    assert_eq!(seal(db).await.unwrap(), SealOutcome::Sealed { events: 3, more: false, damaged_chains: 2 });
    assert_gap_free(&chain_events(db, Some(intact)).await);
    let waiting = chain_events(db, Some(damaged)).await;
    assert_eq!(seqs(&waiting), [Some(1), Some(2), Some(3), None, None], "left unsealed, not forked");
    let report = verify(db, None).await.unwrap();
    assert_eq!(report.problems.len(), 2, "{report}");
    let lag: Vec<(&str, u64)> = report.unsealed.iter().map(|lag| (lag.chain.as_str(), lag.events)).collect();
    let damaged_chain = damaged.to_string();
    assert_eq!(lag, [(damaged_chain.as_str(), 2), (PLATFORM_CHAIN, 1)]);

    // Repaired, the chain's waiting events are sealed after its last intact one.
    execute(db, "DELETE FROM audit_events WHERE id = $1", vec![fake.id.into()]).await;
    assert_eq!(seal_all(db).await, 2);
    let repaired = chain_events(db, Some(damaged)).await;
    assert_gap_free(&repaired);
    assert_eq!(repaired[2].prev_hash, sealed[1].hash);
    let report = verify(db, Some(&damaged_chain)).await.unwrap();
    assert!(report.is_ok() && report.unsealed.is_empty(), "{report}");
}
