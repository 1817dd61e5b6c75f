//! Helpers: a test app with the audit app, actors and origins, sealing, raw SQL as an
//! attacker would write it.

use std::net::IpAddr;

use baseops_audit::{
    AuditEntry, AuditEvent, Changes, EventFilter, ListError, ProblemKind, VerifyReport, for_each, record,
    seal_pending,
};
use baseops_core::{Actor, Origin, RequestId};
use baseops_test_support::TestApp;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};
use uuid::Uuid;

pub async fn audit_app() -> TestApp {
    TestApp::new().await
}

pub fn user() -> Actor {
    Actor::User { user_id: Uuid::now_v7() }
}

pub fn origin() -> Origin {
    Origin {
        request_id: RequestId::from_client("req-42").expect("valid id"),
        ip: Some("203.0.113.7".parse::<IpAddr>().expect("ip")),
        user_agent: Some("Mozilla/5.0 (test)".to_owned()),
    }
}

pub fn entry<'a>(
    organization_id: Option<Uuid>,
    actor: &'a Actor,
    origin: &'a Origin,
    action: &'a str,
    entity_id: &str,
    changes: Changes,
) -> AuditEntry<'a> {
    let entity_type = action.split('.').next().expect("entity.verb");
    AuditEntry {
        organization_id,
        actor,
        origin,
        action,
        entity_type,
        entity_id: entity_id.to_owned(),
        changes,
    }
}

/// Records one event in its own committed transaction.
pub async fn record_committed(
    db: &DatabaseConnection,
    organization_id: Option<Uuid>,
    action: &str,
    entity_id: &str,
) {
    let (actor, origin) = (user(), origin());
    let txn = db.begin().await.expect("begin");
    let changes = Changes::new().set("status", "open", "won");
    record(&txn, entry(organization_id, &actor, &origin, action, entity_id, changes)).await.expect("record");
    txn.commit().await.expect("commit");
}

/// Records `count` events on one chain.
pub async fn record_many(db: &DatabaseConnection, organization_id: Option<Uuid>, count: usize) {
    for index in 1..=count {
        record_committed(db, organization_id, "lead.update", &format!("lead-{index}")).await;
    }
}

/// Records `count` events on one chain and seals them.
pub async fn record_sealed(db: &DatabaseConnection, organization_id: Option<Uuid>, count: usize) {
    record_many(db, organization_id, count).await;
    seal_all(db).await;
}

/// Seals every committed event; returns how many.
pub async fn seal_all(db: &DatabaseConnection) -> u64 {
    seal_pending(db).await.expect("sealing")
}

/// Whether the test runs on PostgreSQL (several writers at once; SQLite has one).
pub fn on_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// A sealed event's hash.
pub fn hash_of(event: &AuditEvent) -> &str {
    event.hash.as_deref().expect("a sealed event")
}

/// The chain's `seq`s in listing (recording) order.
pub fn seqs(events: &[AuditEvent]) -> Vec<Option<i64>> {
    events.iter().map(|event| event.seq).collect()
}

/// Runs SQL written with `$1`-style placeholders on either engine (SQLite reads `?1`).
pub async fn execute(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> u64 {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Sqlite { sql.replace('$', "?") } else { sql.to_owned() };
    db.execute_raw(Statement::from_sql_and_values(backend, &sql, values))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
        .rows_affected()
}

/// The chain's events, oldest recorded first.
pub async fn chain_events(db: &DatabaseConnection, organization_id: Option<Uuid>) -> Vec<AuditEvent> {
    let filter = EventFilter { organization_id, ..EventFilter::default() };
    let mut events = Vec::new();
    for_each(db, &filter, |event| -> Result<(), ListError> {
        events.push(event);
        Ok(())
    })
    .await
    .expect("list");
    events.reverse();
    events
}

pub async fn head(db: &DatabaseConnection, chain: &str) -> Option<(i64, String)> {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Sqlite {
        "SELECT seq, hash FROM audit_chains WHERE chain = ?1"
    } else {
        "SELECT seq, hash FROM audit_chains WHERE chain = $1"
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [chain.into()]))
        .await
        .expect("head query")?;
    Some((row.try_get("", "seq").expect("seq"), row.try_get("", "hash").expect("hash")))
}

/// Writes a forged event as an attacker with SQL access would: well-formed, correctly hashed.
pub async fn insert_forged(db: &DatabaseConnection, event: &AuditEvent) {
    execute(
        db,
        "INSERT INTO audit_events (id, chain, seq, organization_id, actor_type, actor_id, action, entity_type, \
         entity_id, changes, ip, user_agent, request_id, created_at, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        vec![
            event.id.into(),
            event.chain.clone().into(),
            event.seq.into(),
            event.organization_id.into(),
            event.actor_type.clone().into(),
            event.actor_id.clone().into(),
            event.action.clone().into(),
            event.entity_type.clone().into(),
            event.entity_id.clone().into(),
            event.changes.to_canonical_json().into(),
            event.ip.clone().into(),
            event.user_agent.clone().into(),
            event.request_id.clone().into(),
            baseops_audit::chain::timestamp_text(event.created_at).into(),
            event.prev_hash.clone().into(),
            event.hash.clone().into(),
        ],
    )
    .await;
}

/// A forged event at `seq`, linked to `prev_hash`, with a valid hash of its own.
pub fn forged(template: &AuditEvent, seq: i64, prev_hash: &str) -> AuditEvent {
    let mut event = template.clone();
    event.id = Uuid::now_v7();
    event.seq = Some(seq);
    event.prev_hash = Some(prev_hash.to_owned());
    event.changes = Changes::new().set("amount", 1_000_000, 1);
    event.hash = event.computed_hash();
    event
}

/// Moves every event of the chain from `from_seq` on by `shift` (through a detour, since
/// PostgreSQL checks UNIQUE(chain, seq) row by row).
pub async fn renumber(db: &DatabaseConnection, chain: &str, from_seq: i64, shift: i64) {
    let sql = "UPDATE audit_events SET seq = seq + $1 WHERE chain = $2 AND seq >= $3";
    execute(db, sql, vec![1_000_000_i64.into(), chain.into(), from_seq.into()]).await;
    execute(db, sql, vec![(shift - 1_000_000).into(), chain.into(), (from_seq + 1_000_000).into()]).await;
}

pub fn only_problem(report: &VerifyReport) -> (&str, &ProblemKind) {
    assert_eq!(report.problems.len(), 1, "{report}");
    let problem = &report.problems[0];
    (problem.chain.as_str(), &problem.kind)
}
