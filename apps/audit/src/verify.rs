//! Verifying the chains: recompute every hash, follow every link, compare with the heads.
//!
//! Each chain is walked in `seq` order, [`BATCH_SIZE`] rows at a time. The first problem
//! of a chain is reported and its walk stops there (later events can't be judged once a link
//! is broken); other chains are still checked. How problems are told apart:
//!
//! | what was done to the table | reported as |
//! | --- | --- |
//! | a field of an event edited (its hash no longer matches) | [`ProblemKind::Altered`] that event |
//! | an event edited *and* its hash recomputed (the next event's link breaks) | [`ProblemKind::Altered`] that event |
//! | an event deleted, leaving a gap in `seq` | [`ProblemKind::Deleted`] after the event before the gap |
//! | an event deleted and the later ones renumbered | [`ProblemKind::Deleted`] (found because the hashes still match the old `seq`) |
//! | the last event(s) deleted (the head in `audit_chains` is beyond the last event) | [`ProblemKind::Deleted`] after the last event left |
//! | an event appended without advancing the head (`seq` = head + 1) | [`ProblemKind::Inserted`] that event |
//! | an event slipped in by renumbering the later ones | [`ProblemKind::Inserted`] that event |
//! | an event with `seq` ≤ 0 | [`ProblemKind::Inserted`] that event |
//! | the head row deleted | [`ProblemKind::HeadMissing`] |
//!
//! Verification is read-only and may run while events are being recorded: a head that
//! looks behind is re-read before anything is reported. It is not a proof against a writer
//! who rewrites the whole tail of a chain and its head consistently; keep the reported
//! [`VerifyReport::heads`] somewhere that writer can't reach and compare them later.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use crate::chain::{GENESIS_HASH, HashedFields};
use crate::model::{audit_chain, audit_event};

/// Events read per query while walking a chain.
pub const BATCH_SIZE: u64 = 500;

/// How many deleted events a renumbering may hide for it to be recognised as a deletion.
const RENUMBER_PROBE: i64 = 100;

/// The result of [`verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// How many chains were walked.
    pub chains_checked: u64,
    /// How many events were read (up to the first problem of each chain).
    pub events_checked: u64,
    /// The first problem of each damaged chain, by chain name.
    pub problems: Vec<ChainProblem>,
    /// The last event of each intact chain: record these outside the database to detect a
    /// consistent rewrite later.
    pub heads: Vec<ChainHead>,
}

impl VerifyReport {
    /// Whether every chain checked is intact.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The first problem found in one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    /// The chain: an organization id, or `platform`.
    pub chain: String,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProblemKind {
    /// This event's content was changed after it was recorded.
    Altered {
        /// Its position.
        seq: i64,
        /// Its id.
        id: Uuid,
    },
    /// One or more events after this position were removed.
    Deleted {
        /// The last intact position before the missing events (0: from the start).
        after_seq: i64,
    },
    /// This event was not recorded by the audit service.
    Inserted {
        /// Its position.
        seq: i64,
        /// Its id.
        id: Uuid,
    },
    /// The chain has events but its head row in `audit_chains` is gone.
    HeadMissing {
        /// The last event's position.
        last_seq: i64,
    },
}

/// A chain's last event, as verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    /// The chain.
    pub chain: String,
    /// The last event's position (0 for a chain with no events).
    pub seq: i64,
    /// The last event's hash.
    pub hash: String,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Altered { seq, id } => {
                write!(
                    f,
                    "event {seq} ({id}) was altered: its content does not match its hash or its successor"
                )
            }
            Self::Deleted { after_seq } => write!(f, "events after {after_seq} were deleted"),
            Self::Inserted { seq, id } => {
                write!(f, "event {seq} ({id}) was inserted: it does not belong to the chain")
            }
            Self::HeadMissing { last_seq } => {
                write!(f, "the chain head is missing (last event {last_seq})")
            }
        }
    }
}

impl fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chain {}: {}", self.chain, self.kind)
    }
}

impl fmt::Display for VerifyReport {
    /// A summary line, then one line per problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.is_ok() { "intact" } else { "TAMPERED" };
        write!(
            f,
            "audit trail {verdict}: {} chain(s), {} event(s) checked, {} problem(s)",
            self.chains_checked,
            self.events_checked,
            self.problems.len()
        )?;
        for problem in &self.problems {
            write!(f, "\n{problem}")?;
        }
        Ok(())
    }
}

/// Verifies one chain (`Some("platform")`, `Some(<organization id>)`) or all of them.
///
/// Pass the read pool, or the write pool to avoid replica lag.
///
/// # Errors
/// A database error, or a stored row the database can't decode.
pub async fn verify(db: &impl ConnectionTrait, chain: Option<&str>) -> Result<VerifyReport, DbErr> {
    let chains = match chain {
        Some(chain) => BTreeSet::from([chain.to_owned()]),
        None => chain_names(db).await?,
    };
    let mut report = VerifyReport::default();
    for chain in chains {
        let outcome = verify_chain(db, &chain).await?;
        report.chains_checked += 1;
        report.events_checked += outcome.events_checked;
        match outcome.result {
            Ok(head) => report.heads.push(head),
            Err(kind) => report.problems.push(ChainProblem { chain, kind }),
        }
    }
    Ok(report)
}

/// Every chain named by a head or by an event.
async fn chain_names(db: &impl ConnectionTrait) -> Result<BTreeSet<String>, DbErr> {
    let mut names: BTreeSet<String> = audit_chain::Entity::find()
        .select_only()
        .column(audit_chain::Column::Chain)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // One index probe per chain rather than a scan of every event.
    let mut after: Option<String> = None;
    loop {
        let mut query = audit_event::Entity::find().select_only().column(audit_event::Column::Chain);
        if let Some(after) = &after {
            query = query.filter(audit_event::Column::Chain.gt(after.as_str()));
        }
        let next =
            query.order_by_asc(audit_event::Column::Chain).limit(1).into_tuple::<String>().one(db).await?;
        match next {
            Some(name) => {
                names.insert(name.clone());
                after = Some(name);
            }
            None => return Ok(names),
        }
    }
}

struct ChainOutcome {
    events_checked: u64,
    result: Result<ChainHead, ProblemKind>,
}

/// The last verified event.
struct Link {
    seq: i64,
    id: Uuid,
    hash: String,
}

async fn verify_chain(db: &impl ConnectionTrait, chain: &str) -> Result<ChainOutcome, DbErr> {
    let mut head = load_head(db, chain).await?;
    let mut head_missing = false;
    let mut rows = ChainRows::new(db, chain);
    let mut events_checked = 0;
    let mut prev: Option<Link> = None;
    let mut prev_prev_hash: Option<String> = None;
    let mut retried_at: Option<i64> = None;
    let problem = |events_checked, kind| Ok(ChainOutcome { events_checked, result: Err(kind) });

    loop {
        let last_seq = prev.as_ref().map_or(0, |link| link.seq);
        let Some(row) = rows.next().await? else {
            // The head may have been read after the last batch: rows up to it committed with
            // it, so look once more before calling them deleted.
            if head.as_ref().is_some_and(|head| head.seq > last_seq) && retried_at != Some(last_seq) {
                retried_at = Some(last_seq);
                rows.reopen();
                continue;
            }
            break;
        };
        events_checked += 1;
        let expected_seq = last_seq + 1;
        let expected_prev = prev.as_ref().map_or(GENESIS_HASH, |link| link.hash.as_str());
        let this = Link { seq: row.seq, id: row.id, hash: row.hash.clone() };

        if row.seq < expected_seq {
            return problem(events_checked, ProblemKind::Inserted { seq: row.seq, id: row.id });
        }
        if row.seq > expected_seq {
            return problem(events_checked, ProblemKind::Deleted { after_seq: last_seq });
        }
        let mut beyond_head = false;
        if !head_missing && head.as_ref().is_none_or(|head| row.seq > head.seq) {
            // Beyond the head we read: a writer may have committed since, so re-read.
            head = load_head(db, chain).await?;
            match &head {
                Some(head) => beyond_head = row.seq > head.seq,
                None => head_missing = true,
            }
        }
        if row.prev_hash != expected_prev {
            let next_links_to_prev = rows.peek().await?.is_some_and(|next| next.prev_hash == expected_prev);
            let kind = if next_links_to_prev {
                // The next event follows the previous one: this one was slipped in between.
                ProblemKind::Inserted { seq: row.seq, id: row.id }
            } else if prev_prev_hash.as_deref() == Some(row.prev_hash.as_str()) {
                // This event follows the one two back: the previous one was slipped in.
                let prev = prev.as_ref().unwrap_or(&this);
                ProblemKind::Inserted { seq: prev.seq, id: prev.id }
            } else if beyond_head {
                ProblemKind::Inserted { seq: row.seq, id: row.id }
            } else if hash_matches(&row) {
                // This event is intact but doesn't follow the previous one, which was
                // therefore rewritten (with a fresh hash).
                let prev = prev.as_ref().unwrap_or(&this);
                ProblemKind::Altered { seq: prev.seq, id: prev.id }
            } else if was_renumbered(&row) {
                ProblemKind::Deleted { after_seq: last_seq }
            } else {
                ProblemKind::Altered { seq: row.seq, id: row.id }
            };
            return problem(events_checked, kind);
        }
        if beyond_head {
            // Linked correctly, but the head never advanced to it: not written by `record`.
            return problem(events_checked, ProblemKind::Inserted { seq: row.seq, id: row.id });
        }
        if !hash_matches(&row) {
            return problem(events_checked, ProblemKind::Altered { seq: row.seq, id: row.id });
        }
        prev_prev_hash = prev.map(|link| link.hash);
        prev = Some(this);
    }

    let last_seq = prev.as_ref().map_or(0, |link| link.seq);
    let kind = match (&head, &prev) {
        (None, Some(last)) => Some(ProblemKind::HeadMissing { last_seq: last.seq }),
        (Some(head), _) if head.seq > last_seq => Some(ProblemKind::Deleted { after_seq: last_seq }),
        // Same seq, other hash: the last event was replaced by a self-consistent forgery.
        (Some(head), Some(last)) if head.hash != last.hash => {
            Some(ProblemKind::Altered { seq: last.seq, id: last.id })
        }
        _ => None,
    };
    if let Some(kind) = kind {
        return problem(events_checked, kind);
    }
    let hash = prev.map_or_else(|| GENESIS_HASH.to_owned(), |last| last.hash);
    Ok(ChainOutcome {
        events_checked,
        result: Ok(ChainHead { chain: chain.to_owned(), seq: last_seq, hash }),
    })
}

async fn load_head(db: &impl ConnectionTrait, chain: &str) -> Result<Option<audit_chain::Model>, DbErr> {
    audit_chain::Entity::find_by_id(chain.to_owned()).one(db).await
}

fn hash_matches(row: &audit_event::Model) -> bool {
    HashedFields::from(row).hash() == row.hash
}

/// Whether the row's hash matches it at a later position: events before it were deleted
/// and the rest moved down to close the gap.
fn was_renumbered(row: &audit_event::Model) -> bool {
    (1..=RENUMBER_PROBE).any(|shift| {
        let mut fields = HashedFields::from(row);
        fields.seq = row.seq + shift;
        fields.hash() == row.hash
    })
}

/// A chain's events in `seq` order, fetched [`BATCH_SIZE`] at a time, with one-row look-ahead.
struct ChainRows<'a, C> {
    db: &'a C,
    chain: &'a str,
    buffer: VecDeque<audit_event::Model>,
    after_seq: Option<i64>,
    exhausted: bool,
}

impl<'a, C: ConnectionTrait> ChainRows<'a, C> {
    fn new(db: &'a C, chain: &'a str) -> Self {
        Self { db, chain, buffer: VecDeque::new(), after_seq: None, exhausted: false }
    }

    async fn fill(&mut self) -> Result<(), DbErr> {
        if !self.buffer.is_empty() || self.exhausted {
            return Ok(());
        }
        let mut query = audit_event::Entity::find().filter(audit_event::Column::Chain.eq(self.chain));
        if let Some(after_seq) = self.after_seq {
            query = query.filter(audit_event::Column::Seq.gt(after_seq));
        }
        let batch = query.order_by_asc(audit_event::Column::Seq).limit(BATCH_SIZE).all(self.db).await?;
        self.exhausted = (batch.len() as u64) < BATCH_SIZE;
        if let Some(last) = batch.last() {
            self.after_seq = Some(last.seq);
        }
        self.buffer.extend(batch);
        Ok(())
    }

    async fn next(&mut self) -> Result<Option<audit_event::Model>, DbErr> {
        self.fill().await?;
        Ok(self.buffer.pop_front())
    }

    async fn peek(&mut self) -> Result<Option<&audit_event::Model>, DbErr> {
        self.fill().await?;
        Ok(self.buffer.front())
    }

    /// Reads again after the last row returned, for rows committed since.
    fn reopen(&mut self) {
        self.exhausted = false;
    }
}
