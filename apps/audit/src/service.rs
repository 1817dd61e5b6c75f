//! Recording audit events: the one write of this app on the request path, made inside the
//! caller's transaction.
//!
//! [`record`] validates the entry and inserts one `audit_events` row: its id (UUIDv7) and
//! `created_at` are set now, its place in the chain (`seq`, `prev_hash`, `hash`) is left
//! `NULL`. It reads and locks nothing else, so writers to one organization never wait for
//! each other here, on either engine. If the caller's transaction rolls back, the event goes
//! with it; once it commits, [`crate::seal()`] appends it to its chain shortly after (see
//! [`crate::chain`] for the order and for what an unsealed event is not protected against).
//!
//! Lists and exports show an unsealed event at once (with `seq` and `hash` null), so a
//! caller reads its own write without waiting for the sealer.

use baseops_core::{Acting, Actor, Origin};
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use crate::Changes;
use crate::chain::{chain_for, timestamp_text};
use crate::model::audit_event;

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

/// Records an event, unsealed, and returns its id.
///
/// Call it inside the transaction that makes the change, on the write pool, so the change
/// and its audit event commit (or roll back) together; the sealer chains it after it
/// commits. See the [module documentation](self).
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

    let id = Uuid::now_v7();
    let event = audit_event::ActiveModel {
        id: Set(id),
        chain: Set(chain_for(entry.organization_id)),
        // Left out of the INSERT (NULL): the sealer sets all three together.
        seq: NotSet,
        prev_hash: NotSet,
        hash: NotSet,
        organization_id: Set(entry.organization_id),
        actor_type: Set(entry.actor.kind().to_owned()),
        actor_id: Set(actor_id),
        action: Set(entry.action.to_owned()),
        entity_type: Set(entry.entity_type.to_owned()),
        entity_id: Set(entry.entity_id),
        changes: Set(entry.changes.to_canonical_json()),
        ip: Set(ip),
        user_agent: Set(user_agent),
        request_id: Set(request_id.to_owned()),
        created_at: Set(timestamp_text(chrono::Utc::now())),
    };
    audit_event::Entity::insert(event).exec_without_returning(txn).await?;
    Ok(id)
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
