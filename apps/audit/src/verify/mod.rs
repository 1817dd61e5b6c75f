//! Verifying the chains: recompute every hash, follow every link, compare with the heads,
//! and say how far sealing lags.
//!
//! Each chain's sealed events are walked in `seq` order, [`BATCH_SIZE`] rows at a time. The
//! first problem of a chain is reported and its walk stops there (later events can't be
//! judged once a link is broken); other chains are still checked. How problems are told
//! apart:
//!
//! | what was done to the table | reported as |
//! | --- | --- |
//! | a field of an event edited (its hash no longer matches) | [`ProblemKind::Altered`] that event |
//! | an event edited *and* its hash recomputed (the next event's link breaks) | [`ProblemKind::Altered`] that event |
//! | an event's `hash` or `prev_hash` cleared (its `seq` kept) | [`ProblemKind::Altered`] that event |
//! | an event deleted, leaving a gap in `seq` | [`ProblemKind::Deleted`] after the event before the gap |
//! | an event deleted and the later ones renumbered | [`ProblemKind::Deleted`] (found because the hashes still match the old `seq`) |
//! | the last event(s) deleted (the head in `audit_chains` is beyond the last event) | [`ProblemKind::Deleted`] after the last event left |
//! | a sealed event made unsealed again (`seq`, `prev_hash`, `hash` cleared) | [`ProblemKind::Deleted`], as its position is now a gap, also once it is sealed again at the end |
//! | an event appended without advancing the head (`seq` = head + 1) | [`ProblemKind::Inserted`] that event |
//! | an event slipped in by renumbering the later ones | [`ProblemKind::Inserted`] that event |
//! | an event with `seq` ≤ 0 | [`ProblemKind::Inserted`] that event |
//! | events swapped or moved to other positions (their `seq` changed, hashes kept) | [`ProblemKind::Reordered`] the first misplaced event |
//! | an unsealed event given a `hash` or `prev_hash` | [`ProblemKind::PartlySealed`] that event |
//! | the head row deleted | [`ProblemKind::HeadMissing`] |
//!
//! Unsealed events ([`crate::record`] writes them, [`crate::seal()`] chains them shortly
//! after) are not walked: no hash covers them yet, so an edit or deletion before sealing
//! can't be seen (see [`crate::chain`], "The sealing window"). The report says how many wait
//! per chain and how old the oldest is ([`VerifyReport::unsealed`]), so a sealer that stopped
//! shows.
//!
//! Verification is read-only and may run while events are being recorded and sealed: a head
//! that looks behind is re-read before anything is reported. It is not a proof against a
//! writer who rewrites the whole tail of a chain and its head consistently; keep the reported
//! [`VerifyReport::heads`] somewhere that writer can't reach and compare them later.

mod report;
mod unsealed;

use std::collections::{BTreeSet, VecDeque};

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::chain::{GENESIS_HASH, HashedFields};
use crate::model::{audit_chain, audit_event};

pub use report::{ChainHead, ChainProblem, ProblemKind, SealingLag, VerifyReport};

/// Events read per query while walking a chain.
pub const BATCH_SIZE: u64 = 500;

/// How far from its sealed position a moved event is looked for.
const MOVE_PROBE: i64 = 100;

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
    let mut partly_sealed = unsealed::partly_sealed(db, chain).await?;
    for chain in chains {
        let outcome = verify_chain(db, &chain).await?;
        report.chains_checked += 1;
        report.events_checked += outcome.events_checked;
        // A partly sealed row has no position: it counts only if the walk found nothing.
        let result = match (outcome.result, partly_sealed.remove(&chain)) {
            (Ok(_), Some(id)) => Err(ProblemKind::PartlySealed { id }),
            (result, _) => result,
        };
        match result {
            Ok(head) => report.heads.push(head),
            Err(kind) => report.problems.push(ChainProblem { chain, kind }),
        }
    }
    report.unsealed = unsealed::lag(db, chain, chrono::Utc::now()).await?;
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
        // The walk reads rows with a `seq` only.
        let seq = row.seq.unwrap_or_default();

        if seq < expected_seq {
            return problem(events_checked, ProblemKind::Inserted { seq, id: row.id });
        }
        if seq > expected_seq {
            return problem(events_checked, ProblemKind::Deleted { after_seq: last_seq });
        }
        let (Some(row_prev_hash), Some(row_hash)) = (row.prev_hash.as_deref(), row.hash.as_deref()) else {
            // The sealer writes all three together: a cleared link or hash was cleared since.
            return problem(events_checked, ProblemKind::Altered { seq, id: row.id });
        };
        let this = Link { seq, id: row.id, hash: row_hash.to_owned() };
        let mut beyond_head = false;
        if !head_missing && head.as_ref().is_none_or(|head| seq > head.seq) {
            // Beyond the head we read: a sealer may have committed since, so re-read.
            head = load_head(db, chain).await?;
            match &head {
                Some(head) => beyond_head = seq > head.seq,
                None => head_missing = true,
            }
        }
        if row_prev_hash != expected_prev {
            let sealed_at = if hash_matches(&row) { None } else { sealed_position(&row) };
            let next_links_to_prev =
                rows.peek().await?.is_some_and(|next| next.prev_hash.as_deref() == Some(expected_prev));
            let kind = if let Some(sealed_at) = sealed_at.filter(|sealed_at| *sealed_at > seq) {
                // Sealed further down the chain. If the event it followed there is gone,
                // events before it were deleted and the rest renumbered to close the gap;
                // if that event is still in the chain, events were moved.
                if predecessor_exists(db, chain, row_prev_hash).await? {
                    ProblemKind::Reordered { seq, id: row.id, sealed_at }
                } else {
                    ProblemKind::Deleted { after_seq: last_seq }
                }
            } else if next_links_to_prev {
                // The next event follows the previous one: this one was slipped in between.
                ProblemKind::Inserted { seq, id: row.id }
            } else if prev_prev_hash.as_deref() == Some(row_prev_hash) {
                // This event follows the one two back: the previous one was slipped in.
                let prev = prev.as_ref().unwrap_or(&this);
                ProblemKind::Inserted { seq: prev.seq, id: prev.id }
            } else if beyond_head {
                ProblemKind::Inserted { seq, id: row.id }
            } else if hash_matches(&row) {
                // This event is intact but doesn't follow the previous one, which was
                // therefore rewritten (with a fresh hash).
                let prev = prev.as_ref().unwrap_or(&this);
                ProblemKind::Altered { seq: prev.seq, id: prev.id }
            } else if let Some(sealed_at) = sealed_at {
                ProblemKind::Reordered { seq, id: row.id, sealed_at }
            } else {
                ProblemKind::Altered { seq, id: row.id }
            };
            return problem(events_checked, kind);
        }
        if beyond_head {
            // Linked correctly, but the head never advanced to it: not sealed by the sealer.
            return problem(events_checked, ProblemKind::Inserted { seq, id: row.id });
        }
        if !hash_matches(&row) {
            return problem(events_checked, ProblemKind::Altered { seq, id: row.id });
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

/// Whether a sealed row's hash covers its stored fields, at its stored position.
fn hash_matches(row: &audit_event::Model) -> bool {
    HashedFields::of_sealed(row).is_some_and(|fields| row.hash.as_deref() == Some(fields.hash().as_str()))
}

/// The position at which the row's hash was computed, when it is not its own: up to
/// [`MOVE_PROBE`] positions either way.
fn sealed_position(row: &audit_event::Model) -> Option<i64> {
    let (Some(seq), Some(prev_hash), Some(hash)) = (row.seq, row.prev_hash.as_deref(), row.hash.as_deref())
    else {
        return None;
    };
    (1..=MOVE_PROBE)
        .flat_map(|shift| [seq + shift, seq - shift])
        .filter(|position| *position >= 1)
        .find(|position| HashedFields::at(row, *position, prev_hash).hash() == hash)
}

/// Whether an event of the chain has `hash`: the one a moved event followed is still there.
async fn predecessor_exists(db: &impl ConnectionTrait, chain: &str, hash: &str) -> Result<bool, DbErr> {
    if hash == GENESIS_HASH {
        return Ok(false);
    }
    let found = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Id)
        .filter(audit_event::Column::Chain.eq(chain))
        .filter(audit_event::Column::Hash.eq(hash))
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// A chain's sealed events in `seq` order, fetched [`BATCH_SIZE`] at a time, with one-row look-ahead.
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
        let mut query = audit_event::Entity::find()
            .filter(audit_event::Column::Chain.eq(self.chain))
            .filter(audit_event::Column::Seq.is_not_null());
        if let Some(after_seq) = self.after_seq {
            query = query.filter(audit_event::Column::Seq.gt(after_seq));
        }
        let batch = query.order_by_asc(audit_event::Column::Seq).limit(BATCH_SIZE).all(self.db).await?;
        self.exhausted = (batch.len() as u64) < BATCH_SIZE;
        if let Some(last) = batch.last() {
            self.after_seq = last.seq;
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
