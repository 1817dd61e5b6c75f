//! The hash chain: chain names, the canonical encoding of an event, and its hash.
//!
//! # Chains
//! Every organization has its own chain, named by the organization id (lowercase,
//! hyphenated: `0190f3c2-…`); events with no organization go to the [`PLATFORM_CHAIN`].
//! Within a chain, sealed events are numbered `seq = 1, 2, 3, …` with no gaps, and each
//! stores the hash of the one before it (`prev_hash`; [`GENESIS_HASH`] for `seq = 1`). The
//! table `audit_chains` holds each chain's head: its last sealed `seq` and `hash`.
//!
//! # Recording, then sealing
//! [`crate::record`] only inserts the event, in the caller's transaction, with `seq`,
//! `prev_hash` and `hash` left `NULL` (*unsealed*): writers of one organization share no row
//! and never wait for each other. Shortly after the event commits, [`crate::seal()`] (run in
//! a loop by [`crate::run_sealer`] on every node; one works at a time) appends it to its
//! chain: it reads the head, gives the event the next `seq`, the head's hash as `prev_hash`,
//! computes `hash`, and advances the head, in one transaction. The chain's order is
//! therefore the sealing order: events that committed earlier are sealed earlier, and within
//! one sealing round a chain's events are taken in id (UUIDv7, recording time) order. An
//! event's `created_at` and id say when it was recorded, not where it sits in the chain.
//! Decision record 0012 explains the choice.
//!
//! # Canonical encoding (format `baseops-audit-v1`)
//! An event's `hash` is the lowercase hex SHA-256 of the UTF-8 bytes of this JSON array,
//! written by `serde_json` in compact form (no whitespace; strings escaped minimally:
//! `"`, `\` and control characters, everything else as UTF-8), fields in exactly this order:
//!
//! | # | field | JSON type |
//! | --- | --- | --- |
//! | 0 | the literal `"baseops-audit-v1"` | string |
//! | 1 | `id` (UUID, lowercase hyphenated) | string |
//! | 2 | `chain` | string |
//! | 3 | `seq` | number |
//! | 4 | `organization_id` (UUID, lowercase hyphenated) | string or `null` |
//! | 5 | `actor_type` | string |
//! | 6 | `actor_id` | string or `null` |
//! | 7 | `action` | string |
//! | 8 | `entity_type` | string |
//! | 9 | `entity_id` | string |
//! | 10 | `changes`: the stored text itself (canonical JSON, see below), as one string | string |
//! | 11 | `ip` | string or `null` |
//! | 12 | `user_agent` | string or `null` |
//! | 13 | `request_id` | string |
//! | 14 | `created_at`: the stored text, `YYYY-MM-DDTHH:MM:SS.ffffffZ` | string |
//! | 15 | `prev_hash` | string |
//!
//! For example `["baseops-audit-v1","0190…","platform",1,null,"system","createsuperuser",…]`.
//!
//! `changes` is stored as canonical JSON: compact, object keys sorted by their UTF-8 bytes at
//! every depth (see [`canonical_json`]). Hashing the stored text rather than a re-encoding
//! means the hash depends only on what is in the row, on either database engine; anyone
//! with read access can recompute it with any SHA-256 and JSON library.
//!
//! # What the chain proves
//! Once sealed, editing, deleting, inserting or reordering an event breaks a hash or a link,
//! and [`crate::verify()`] reports it; so does a row with only some of `seq`, `prev_hash`
//! and `hash` set, which the sealer never writes. A writer with full SQL access who rewrites
//! the *tail* of a chain consistently (recomputing every later hash and the head) is not
//! detectable from the database alone; export chain heads ([`crate::verify::VerifyReport`]
//! carries them) to somewhere the database's writers cannot change to close that gap.
//!
//! # The sealing window
//! An event that is not sealed yet is covered by no hash: someone with SQL access who edits
//! or deletes it *before* the sealer reaches it leaves no trace (an edited one is then
//! sealed as edited). Before sealing was split off, an event joined its chain as it
//! committed and this window did not exist; it is the price of writers no longer queueing
//! on their organization's chain head (decision record 0012). Why that is acceptable:
//! - it is short: the sealer runs every [`crate::seal::SEAL_INTERVAL`] and a round takes
//!   milliseconds, so an event waits about that long after its commit;
//! - it is visible: [`crate::verify()`] reports how many events wait and how old the oldest
//!   is, so a stopped sealer (a window that keeps growing) shows in every verification;
//! - it adds little: whoever can write to the live database at that moment can already make
//!   changes that are never audited (plain SQL bypasses the services); what the chain
//!   protects is the history already recorded, and that starts at sealing.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The chain of events that belong to no organization.
pub const PLATFORM_CHAIN: &str = "platform";

/// The `prev_hash` of a chain's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The name of the format, first element of the canonical encoding.
pub const FORMAT: &str = "baseops-audit-v1";

/// The chain an organization's events go to (`None`: the platform chain).
pub fn chain_for(organization_id: Option<Uuid>) -> String {
    match organization_id {
        Some(id) => id.hyphenated().to_string(),
        None => PLATFORM_CHAIN.to_owned(),
    }
}

/// `created_at` as stored: RFC 3339 in UTC with exactly six fractional digits (truncated)
/// and `Z`, e.g. `2025-01-02T03:04:05.000006Z`. Fixed width, so text order is time order.
pub fn timestamp_text(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The stored fields of an event that its hash covers: all of them except the hash itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HashedFields<'a> {
    pub id: Uuid,
    pub chain: &'a str,
    pub seq: i64,
    pub organization_id: Option<Uuid>,
    pub actor_type: &'a str,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub changes: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub request_id: &'a str,
    pub created_at: &'a str,
    pub prev_hash: &'a str,
}

impl HashedFields<'_> {
    /// The canonical encoding described in the module documentation.
    pub(crate) fn canonical_encoding(&self) -> String {
        let fields = (
            FORMAT,
            self.id.hyphenated().to_string(),
            self.chain,
            self.seq,
            self.organization_id.map(|id| id.hyphenated().to_string()),
            self.actor_type,
            self.actor_id,
            self.action,
            self.entity_type,
            self.entity_id,
            self.changes,
            self.ip,
            self.user_agent,
            self.request_id,
            self.created_at,
            self.prev_hash,
        );
        // A tuple of strings, numbers and options always serializes.
        serde_json::to_string(&fields).expect("a tuple of plain values serializes")
    }

    /// Lowercase hex SHA-256 of the canonical encoding.
    pub(crate) fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_encoding().as_bytes()))
    }
}

impl<'a> HashedFields<'a> {
    /// The fields of a sealed event as stored; `None` while any of `seq`, `prev_hash` and
    /// `hash` is missing.
    pub(crate) fn of_sealed(event: &'a crate::model::audit_event::Model) -> Option<Self> {
        let (Some(seq), Some(prev_hash), Some(_)) = (event.seq, &event.prev_hash, &event.hash) else {
            return None;
        };
        Some(Self::at(event, seq, prev_hash))
    }

    /// The fields of `event` placed at `seq` after `prev_hash`: what sealing it there covers.
    pub(crate) fn at(event: &'a crate::model::audit_event::Model, seq: i64, prev_hash: &'a str) -> Self {
        Self {
            id: event.id,
            chain: &event.chain,
            seq,
            organization_id: event.organization_id,
            actor_type: &event.actor_type,
            actor_id: event.actor_id.as_deref(),
            action: &event.action,
            entity_type: &event.entity_type,
            entity_id: &event.entity_id,
            changes: &event.changes,
            ip: event.ip.as_deref(),
            user_agent: event.user_agent.as_deref(),
            request_id: &event.request_id,
            created_at: &event.created_at,
            prev_hash,
        }
    }
}

/// Writes a JSON value canonically: compact, object keys sorted by their UTF-8 bytes at
/// every depth, whatever order the value's maps keep (serde_json's `preserve_order` feature
/// may be switched on by any crate in the build).
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|(a, _), (b, _)| a.as_bytes().cmp(b.as_bytes()));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = serde_json::json!({"b": 1, "a": {"z": [1, {"y": null, "x": "é\n"}], "c": true}});
        assert_eq!(canonical_json(&value), r#"{"a":{"c":true,"z":[1,{"x":"é\n","y":null}]},"b":1}"#);
    }

    #[test]
    fn the_encoding_is_a_fixed_order_array() {
        let id = Uuid::nil();
        let fields = HashedFields {
            id,
            chain: PLATFORM_CHAIN,
            seq: 1,
            organization_id: None,
            actor_type: "system",
            actor_id: Some("createsuperuser"),
            action: "user.create",
            entity_type: "user",
            entity_id: "42",
            changes: r#"{"email":{"after":"a@example.com"}}"#,
            ip: None,
            user_agent: None,
            request_id: "r-1",
            created_at: "2025-01-02T03:04:05.000006Z",
            prev_hash: GENESIS_HASH,
        };
        assert_eq!(
            fields.canonical_encoding(),
            format!(
                r#"["baseops-audit-v1","00000000-0000-0000-0000-000000000000","platform",1,null,"system","createsuperuser","user.create","user","42","{{\"email\":{{\"after\":\"a@example.com\"}}}}",null,null,"r-1","2025-01-02T03:04:05.000006Z","{GENESIS_HASH}"]"#
            )
        );
        assert_eq!(fields.hash().len(), 64);
        assert_eq!(fields.hash(), fields.hash());
    }
}
