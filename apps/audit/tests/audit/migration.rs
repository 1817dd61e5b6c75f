//! Upgrading a trail recorded before sealing existed: its events keep verifying, new ones
//! continue its chains, and `(chain, seq)` stays unique.

use baseops_audit::chain::{GENESIS_HASH, PLATFORM_CHAIN, timestamp_text};
use baseops_audit::{AuditEvent, Changes, verify};
use baseops_test_support::TestApp;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::SchemaManager;
use uuid::Uuid;

use crate::support::*;

/// An event as the old `record` wrote it: sealed as it was inserted.
fn old_event(seq: i64, prev_hash: &str) -> AuditEvent {
    let mut event = AuditEvent {
        id: Uuid::now_v7(),
        organization_id: None,
        chain: PLATFORM_CHAIN.to_owned(),
        seq: Some(seq),
        actor_type: "system".to_owned(),
        actor_id: Some("createsuperuser".to_owned()),
        action: "user.create".to_owned(),
        entity_type: "user".to_owned(),
        entity_id: seq.to_string(),
        changes: Changes::new().set("email", serde_json::Value::Null, "a@example.com"),
        ip: None,
        user_agent: None,
        request_id: "r-1".to_owned(),
        created_at: chrono::DateTime::parse_from_rfc3339(&timestamp_text(chrono::Utc::now()))
            .unwrap()
            .to_utc(),
        prev_hash: Some(prev_hash.to_owned()),
        hash: None,
    };
    event.hash = event.computed_hash();
    event
}

#[tokio::test]
async fn a_trail_recorded_before_sealing_keeps_verifying_and_grows() {
    let app = TestApp::builder().apps(vec![baseops_audit::app()]).without_migrations().build().await;
    let db = app.state().db().write();
    let migrations = (baseops_audit::app().migrations)();
    let [create, unsealed] = migrations.as_slice() else { panic!("two audit migrations") };
    let manager = SchemaManager::new(db);
    create.up(&manager).await.unwrap();

    let mut prev_hash = GENESIS_HASH.to_owned();
    for seq in 1..=3 {
        let event = old_event(seq, &prev_hash);
        insert_forged(db, &event).await;
        prev_hash = event.hash.unwrap();
    }
    execute(
        db,
        "INSERT INTO audit_chains (chain, seq, hash) VALUES ($1, 3, $2)",
        vec![PLATFORM_CHAIN.into(), prev_hash.clone().into()],
    )
    .await;
    let before = verify(db, None).await.unwrap();
    assert!(before.is_ok() && before.events_checked == 3, "{before}");

    unsealed.up(&manager).await.unwrap();
    assert_eq!(verify(db, None).await.unwrap(), before, "the upgrade keeps every row and hash");
    let index = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'audit_events'",
        _ => "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events'",
    };
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), index)).await.unwrap();
    let mut names: Vec<String> = rows.iter().map(|row| row.try_get("", "name").unwrap()).collect();
    names.retain(|name| name.starts_with("audit_events_"));
    names.sort();
    assert_eq!(
        names,
        [
            "audit_events_action_idx",
            "audit_events_actor_id_idx",
            "audit_events_chain_seq_key",
            "audit_events_entity_idx",
            "audit_events_organization_id_created_at_idx",
            "audit_events_pkey",
            "audit_events_unsealed_idx",
        ]
        .into_iter()
        .filter(|name| *name != "audit_events_pkey" || db.get_database_backend() == DbBackend::Postgres)
        .collect::<Vec<_>>()
    );

    record_many(db, None, 2).await;
    assert_eq!(seal_all(db).await, 2);
    let events = chain_events(db, None).await;
    assert_eq!(seqs(&events), [Some(1), Some(2), Some(3), Some(4), Some(5)]);
    assert_eq!(events[3].prev_hash.as_deref(), Some(prev_hash.as_str()), "continues the old chain");
    let report = verify(db, None).await.unwrap();
    assert!(report.is_ok() && report.events_checked == 5, "{report}");

    // Still one event per position.
    let duplicate = old_event(2, GENESIS_HASH);
    let sql = "INSERT INTO audit_events (id, chain, seq, actor_type, action, entity_type, entity_id, changes, \
               request_id, created_at, prev_hash, hash) VALUES ($1, $2, 2, 'system', 'x.y', 'x', '1', '{}', 'r', \
               '2025-01-01T00:00:00.000000Z', $3, $3)";
    let sql =
        if db.get_database_backend() == DbBackend::Sqlite { sql.replace('$', "?") } else { sql.to_owned() };
    let values: Vec<sea_orm::Value> = vec![duplicate.id.into(), PLATFORM_CHAIN.into(), GENESIS_HASH.into()];
    let refused =
        db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), &sql, values)).await;
    assert!(refused.is_err(), "UNIQUE(chain, seq) still holds");
}
