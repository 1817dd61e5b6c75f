//! Recording audit events: the one write of this app, made inside the caller's transaction.
//!
//! # How an event joins its chain
//! 1. `UPDATE audit_chains SET seq = seq + 1 WHERE chain = $1 RETURNING seq, hash` advances
//!    the chain's head and returns the new `seq` and the previous event's hash. On
//!    PostgreSQL the updated row stays locked until the caller's transaction ends, so
//!    concurrent writers to one chain queue here, each then reading the head its predecessor
//!    committed (READ COMMITTED re-reads a row after waiting on its lock): a chain can't fork
//!    and its `seq` has no gaps. Writers to different chains don't wait for each other. Under
//!    REPEATABLE READ or SERIALIZABLE the waiting writer fails with a serialization error
//!    instead; retry the whole transaction. On SQLite the single writer connection already
//!    serializes transactions; the same SQL runs there.
//! 2. A chain's first event finds no head: `INSERT … ON CONFLICT (chain) DO NOTHING` creates it
//!    at `seq = 0` with [`GENESIS_HASH`] (a concurrent creator
//!    wins harmlessly), then step 1 runs again.
//! 3. The event gets its id (UUIDv7) and `created_at` only now, under the lock, so both grow
//!    with `seq` within a chain; its hash is computed over the canonical encoding
//!    ([`crate::chain`]); the row is inserted and the head's hash set to it.
//!
//! If the caller's transaction rolls back, the event and the head's advance roll back with it.

use baseops_core::{Acting, Actor, Origin};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait};
use uuid::Uuid;

use crate::Changes;
use crate::chain::{GENESIS_HASH, HashedFields, chain_for, timestamp_text};
use crate::model::{audit_chain, audit_event};

/// Longest `action`, `entity_type`, `entity_id` and `actor_id`.
pub const MAX_NAME_LEN: usize = 64;
/// Longest `request_id`.
pub const MAX_REQUEST_ID_LEN: usize = 128;
/// Longest `user_agent` kept; longer ones are truncated.
pub const MAX_USER_AGENT_LEN: usize = 256;

/// One change to record: who did what to which record, from where, and the diff.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// The organization the record belongs to; `None` for platform-level events (users,
    /// sign-ins, settings), which go to the `platform` chain.
    pub organization_id: Option<Uuid>,
    /// Who did it.
    pub actor: &'a Actor,
    /// The request (or job) it happened in: request id, IP address, user agent.
    pub origin: &'a Origin,
    /// What happened, `<entity>.<verb>` (`lead.update`, `user.login`): 1 to 64 characters.
    pub action: &'a str,
    /// The kind of record (`lead`): 1 to 64 characters.
    pub entity_type: &'a str,
    /// The record's id: at most 64 characters.
    pub entity_id: String,
    /// What changed (may be empty, e.g. for a sign-in).
    pub changes: Changes,
}

impl<'a> AuditEntry<'a> {
    /// An entry for `action` on the record `entity_type`/`entity_id`, by `acting`, with no
    /// changes yet: add them with [`AuditEntry::changes`].
    pub fn new(
        acting: Acting<'a>,
        organization_id: Option<Uuid>,
        action: &'a str,
        entity_type: &'a str,
        entity_id: impl ToString,
    ) -> Self {
        Self {
            organization_id,
            actor: acting.actor,
            origin: acting.origin,
            action,
            entity_type,
            entity_id: entity_id.to_string(),
            changes: Changes::new(),
        }
    }

    /// Sets what changed.
    pub fn changes(mut self, changes: Changes) -> Self {
        self.changes = changes;
        self
    }
}

/// Appends an event to its organization's chain and returns the event's id.
///
/// Call it inside the transaction that makes the change, on the write pool, so the change
/// and its audit event commit together. See the [module documentation](self) for how the
/// chain's head is locked and advanced.
///
/// Never call it on a bare pool: outside a transaction the head's lock ends with each
/// statement, and two concurrent writers could link to the same predecessor (which
/// [`verify`](crate::verify()) would then report as tampering).
///
/// # Errors
/// [`DbErr::Custom`] when `action` or `entity_type` is empty or longer than 64 characters,
/// or `entity_id`, the actor's id or the request id is too long (the user agent is truncated
/// instead); any database error, after which the caller's transaction should roll back.
pub async fn record(txn: &impl ConnectionTrait, entry: AuditEntry<'_>) -> Result<Uuid, DbErr> {
    check_len("action", entry.action, 1, MAX_NAME_LEN)?;
    check_len("entity_type", entry.entity_type, 1, MAX_NAME_LEN)?;
    check_len("entity_id", &entry.entity_id, 0, MAX_NAME_LEN)?;
    let actor_id = entry.actor.id();
    if let Some(actor_id) = &actor_id {
        check_len("actor_id", actor_id, 0, MAX_NAME_LEN)?;
    }
    let request_id = entry.origin.request_id.as_str();
    check_len("request_id", request_id, 1, MAX_REQUEST_ID_LEN)?;
    let user_agent = entry.origin.user_agent.as_deref().map(clean_user_agent);
    let ip = entry.origin.ip.map(|ip| ip.to_string());
    let changes = entry.changes.to_canonical_json();

    let chain = chain_for(entry.organization_id);
    let (seq, prev_hash) = advance_head(txn, &chain).await?;

    let id = Uuid::now_v7();
    let created_at = timestamp_text(chrono::Utc::now());
    let hash = HashedFields {
        id,
        chain: &chain,
        seq,
        organization_id: entry.organization_id,
        actor_type: entry.actor.kind(),
        actor_id: actor_id.as_deref(),
        action: entry.action,
        entity_type: entry.entity_type,
        entity_id: &entry.entity_id,
        changes: &changes,
        ip: ip.as_deref(),
        user_agent: user_agent.as_deref(),
        request_id,
        created_at: &created_at,
        prev_hash: &prev_hash,
    }
    .hash();

    let event = audit_event::ActiveModel {
        id: Set(id),
        chain: Set(chain.clone()),
        seq: Set(seq),
        organization_id: Set(entry.organization_id),
        actor_type: Set(entry.actor.kind().to_owned()),
        actor_id: Set(actor_id),
        action: Set(entry.action.to_owned()),
        entity_type: Set(entry.entity_type.to_owned()),
        entity_id: Set(entry.entity_id),
        changes: Set(changes),
        ip: Set(ip),
        user_agent: Set(user_agent),
        request_id: Set(request_id.to_owned()),
        created_at: Set(created_at),
        prev_hash: Set(prev_hash),
        hash: Set(hash.clone()),
    };
    audit_event::Entity::insert(event).exec_without_returning(txn).await?;

    let set_head = Query::update()
        .table(audit_chain::Entity)
        .value(audit_chain::Column::Hash, hash)
        .and_where(audit_chain::Column::Chain.eq(chain.as_str()))
        .to_owned();
    txn.execute(&set_head).await?;
    Ok(id)
}

/// Advances the chain's head by one, creating it first if needed; returns the new `seq` and
/// the hash of the event before it.
async fn advance_head(txn: &impl ConnectionTrait, chain: &str) -> Result<(i64, String), DbErr> {
    if let Some(head) = try_advance_head(txn, chain).await? {
        return Ok(head);
    }
    let create = Query::insert()
        .into_table(audit_chain::Entity)
        .columns([audit_chain::Column::Chain, audit_chain::Column::Seq, audit_chain::Column::Hash])
        .values_panic([chain.into(), 0_i64.into(), GENESIS_HASH.into()])
        .on_conflict(OnConflict::column(audit_chain::Column::Chain).do_nothing().to_owned())
        .to_owned();
    txn.execute(&create).await?;
    try_advance_head(txn, chain)
        .await?
        .ok_or_else(|| DbErr::Custom(format!("audit: the head of chain {chain} vanished while appending")))
}

async fn try_advance_head(txn: &impl ConnectionTrait, chain: &str) -> Result<Option<(i64, String)>, DbErr> {
    let advance = Query::update()
        .table(audit_chain::Entity)
        .value(audit_chain::Column::Seq, Expr::col(audit_chain::Column::Seq).add(1))
        .and_where(audit_chain::Column::Chain.eq(chain))
        .returning(Query::returning().columns([audit_chain::Column::Seq, audit_chain::Column::Hash]))
        .to_owned();
    let Some(row) = txn.query_one(&advance).await? else { return Ok(None) };
    Ok(Some((row.try_get::<i64>("", "seq")?, row.try_get::<String>("", "hash")?)))
}

fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), DbErr> {
    let len = value.chars().count();
    if (min..=max).contains(&len) {
        Ok(())
    } else {
        Err(DbErr::Custom(format!("audit: {field} must be {min} to {max} characters, got {len}")))
    }
}

/// The client's text, without control characters, cut to [`MAX_USER_AGENT_LEN`] characters.
fn clean_user_agent(user_agent: &str) -> String {
    user_agent.chars().filter(|c| !c.is_control()).take(MAX_USER_AGENT_LEN).collect()
}
