//! Recording: transactions, diffs and redaction, validation, chain links once sealed,
//! separate chains.

use baseops_audit::chain::{GENESIS_HASH, PLATFORM_CHAIN};
use baseops_audit::{AuditEntry, Changes, REDACTED, record, verify};
use baseops_core::Actor;
use sea_orm::{ConnectionTrait, DbErr, Statement, TransactionTrait};
use serde::Serialize;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn a_rolled_back_change_leaves_no_event_and_no_head_change() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let organization = Uuid::now_v7();
    record_committed(db, Some(organization), "lead.create", "lead-1").await;
    assert_eq!(seal_all(db).await, 1);
    let head_before = head(db, &organization.to_string()).await.expect("head");

    let (actor, origin) = (user(), origin());
    let txn = db.begin().await.unwrap();
    record(&txn, entry(Some(organization), &actor, &origin, "lead.update", "lead-1", Changes::new()))
        .await
        .unwrap();
    // A chain's first event rolled back too: its head must not survive either.
    record(&txn, entry(None, &actor, &origin, "user.update", "user-1", Changes::new())).await.unwrap();
    txn.rollback().await.unwrap();

    assert_eq!(seal_all(db).await, 0, "nothing of the rolled-back transaction is left to seal");
    assert_eq!(chain_events(db, Some(organization)).await.len(), 1);
    assert_eq!(head(db, &organization.to_string()).await, Some(head_before));
    assert!(chain_events(db, None).await.is_empty());
    assert_eq!(head(db, PLATFORM_CHAIN).await, None);
    let report = verify(db, None).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.chains_checked, report.events_checked), (1, 1));
}

#[derive(Clone, Serialize)]
struct Account {
    email: String,
    status: &'static str,
    password_hash: &'static str,
    recovery_codes: Vec<&'static str>,
    settings: serde_json::Value,
    note: Option<String>,
}

#[tokio::test]
async fn events_store_the_diff_with_secrets_redacted_and_the_origin() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let before = Account {
        email: "ann@example.com".to_owned(),
        status: "active",
        password_hash: "$argon2id$old-s3cret",
        recovery_codes: vec!["rc-s3cret-1"],
        settings: serde_json::json!({"theme": "dark", "api_secret": "s3cret-key"}),
        note: None,
    };
    let after = Account {
        email: "ann@example.org".to_owned(),
        password_hash: "$argon2id$new-s3cret",
        settings: serde_json::json!({"theme": "light", "api_secret": "s3cret-key"}),
        ..before.clone()
    };
    let actor = Actor::System { name: "createsuperuser".to_owned() };
    let mut origin = origin();
    origin.user_agent = Some(format!("bot\u{0}\n{}", "x".repeat(400)));

    let txn = db.begin().await.unwrap();
    let id = record(
        &txn,
        entry(None, &actor, &origin, "user.update", "user-1", Changes::between(&before, &after)),
    )
    .await
    .unwrap();
    record(&txn, entry(None, &actor, &origin, "user.create", "user-2", Changes::created(&before)))
        .await
        .unwrap();
    txn.commit().await.unwrap();

    let events = chain_events(db, None).await;
    let update = &events[0];
    assert_eq!(update.id, id);
    let changed: Vec<&str> = update.changes.iter().map(|(field, _)| field).collect();
    assert_eq!(changed, ["email", "password_hash", "settings"], "unchanged fields are left out");
    let email = update.changes.get("email").unwrap();
    assert_eq!(email.before, Some("ann@example.com".into()));
    assert_eq!(email.after, Some("ann@example.org".into()));
    let password = update.changes.get("password_hash").unwrap();
    assert_eq!(
        (password.before.clone(), password.after.clone()),
        (Some(REDACTED.into()), Some(REDACTED.into()))
    );
    assert_eq!(
        update.changes.get("settings").unwrap().after,
        Some(serde_json::json!({"theme": "light", "api_secret": REDACTED}))
    );

    let create = &events[1];
    assert_eq!(create.changes.get("note").unwrap().after, Some(serde_json::Value::Null));
    assert_eq!(create.changes.get("note").unwrap().before, None, "a creation has no before");
    assert_eq!(create.changes.get("recovery_codes").unwrap().after, Some(REDACTED.into()));

    assert_eq!((update.actor_type.as_str(), update.actor_id.as_deref()), ("system", Some("createsuperuser")));
    assert_eq!(
        (update.action.as_str(), update.entity_type.as_str(), update.entity_id.as_str()),
        ("user.update", "user", "user-1")
    );
    assert_eq!(update.ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(update.request_id, "req-42");
    let user_agent = update.user_agent.as_deref().unwrap();
    assert_eq!(user_agent.chars().count(), 256, "truncated");
    assert!(user_agent.starts_with("botx"), "control characters dropped: {user_agent:?}");

    // No secret reached the table in any form.
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT changes FROM audit_events"))
        .await
        .unwrap();
    for row in rows {
        let stored: String = row.try_get("", "changes").unwrap();
        assert!(!stored.contains("s3cret"), "{stored}");
    }
}

#[tokio::test]
async fn invalid_entries_are_refused() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let (actor, origin) = (user(), origin());
    let long = "x".repeat(65);
    let cases = [
        ("", "lead", "1".to_owned()),
        ("lead.update", "", "1".to_owned()),
        (long.as_str(), "lead", "1".to_owned()),
        ("lead.update", long.as_str(), "1".to_owned()),
        ("lead.update", "lead", long.clone()),
    ];
    for (action, entity_type, entity_id) in cases {
        let txn = db.begin().await.unwrap();
        let entry = AuditEntry {
            organization_id: None,
            actor: &actor,
            origin: &origin,
            action,
            entity_type,
            entity_id,
            changes: Changes::new(),
        };
        let error = record(&txn, entry).await.expect_err("refused");
        assert!(matches!(error, DbErr::Custom(_)), "{error:?}");
        txn.rollback().await.unwrap();
    }
    let long_actor = Actor::System { name: long.clone() };
    let txn = db.begin().await.unwrap();
    let error = record(&txn, entry(None, &long_actor, &origin, "lead.update", "1", Changes::new())).await;
    assert!(matches!(error, Err(DbErr::Custom(_))), "{error:?}");
    txn.rollback().await.unwrap();
    assert!(chain_events(db, None).await.is_empty());
}

#[tokio::test]
async fn events_are_linked_into_a_chain_and_verify_passes() {
    let app = audit_app().await;
    let db = app.state().db().write();
    record_sealed(db, None, 3).await;
    let events = chain_events(db, None).await;

    assert_eq!(seqs(&events), [Some(1), Some(2), Some(3)]);
    assert_eq!(events[0].prev_hash.as_deref(), Some(GENESIS_HASH));
    assert_eq!(events[1].prev_hash, events[0].hash);
    assert_eq!(events[2].prev_hash, events[1].hash);
    for event in &events {
        assert_eq!(event.chain, PLATFORM_CHAIN);
        assert_eq!(hash_of(event).len(), 64);
        assert_eq!(event.computed_hash(), event.hash, "the documented encoding reproduces the hash");
    }
    assert!(events[0].id < events[1].id && events[0].created_at <= events[1].created_at);
    assert_eq!(head(db, PLATFORM_CHAIN).await, Some((3, hash_of(&events[2]).to_owned())));

    let report = verify(db, None).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.chains_checked, report.events_checked), (1, 3));
    assert_eq!(report.heads[0].hash, hash_of(&events[2]));
    assert!(report.to_string().starts_with("audit trail intact: 1 chain(s), 3 event(s) checked"), "{report}");
}

#[tokio::test]
async fn organizations_have_separate_chains() {
    let app = audit_app().await;
    let db = app.state().db().write();
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    for _ in 0..2 {
        record_committed(db, Some(first), "lead.update", "a").await;
        record_committed(db, Some(second), "lead.update", "b").await;
        record_committed(db, None, "user.update", "c").await;
    }
    assert_eq!(seal_all(db).await, 6);
    for organization in [Some(first), Some(second), None] {
        let events = chain_events(db, organization).await;
        assert_eq!(seqs(&events), [Some(1), Some(2)]);
        assert!(events.iter().all(|event| event.organization_id == organization));
        assert_eq!(events[0].prev_hash.as_deref(), Some(GENESIS_HASH));
    }
    assert_eq!(chain_events(db, Some(first)).await[0].chain, first.to_string());

    // Damage in one chain is reported for that chain only.
    execute(
        db,
        "UPDATE audit_events SET entity_id = 'z' WHERE chain = $1 AND seq = 2",
        vec![second.to_string().into()],
    )
    .await;
    let report = verify(db, None).await.unwrap();
    assert_eq!((report.chains_checked, report.events_checked), (3, 6));
    let (chain, _) = only_problem(&report);
    assert_eq!(chain, second.to_string());
    assert!(verify(db, Some(&first.to_string())).await.unwrap().is_ok());
    assert!(verify(db, Some(PLATFORM_CHAIN)).await.unwrap().is_ok());
}
