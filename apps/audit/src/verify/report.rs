//! What [`super::verify()`] found: problems per chain, verified heads, and how far sealing
//! lags, with the text `baseops audit verify` prints.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// The result of [`verify`](super::verify()).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// How many chains were walked.
    pub chains_checked: u64,
    /// How many sealed events were read (up to the first problem of each chain).
    pub events_checked: u64,
    /// The first problem of each damaged chain, by chain name.
    pub problems: Vec<ChainProblem>,
    /// The last sealed event of each intact chain: record these outside the database to
    /// detect a consistent rewrite later.
    pub heads: Vec<ChainHead>,
    /// The chains with events not sealed yet, by chain name: how far sealing lags. Not a
    /// problem in itself; a backlog that keeps growing means no sealer is running.
    pub unsealed: Vec<SealingLag>,
}

impl VerifyReport {
    /// Whether every chain checked is intact (unsealed events do not count against it).
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// How many events wait to be sealed, over all chains checked.
    pub fn unsealed_events(&self) -> u64 {
        self.unsealed.iter().map(|lag| lag.events).sum()
    }

    /// The chain whose oldest unsealed event is the oldest of all: the longest wait.
    pub fn longest_wait(&self) -> Option<&SealingLag> {
        // The earliest recorded event, exactly: ages in whole milliseconds can tie.
        self.unsealed.iter().min_by_key(|lag| lag.oldest_created_at)
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
    /// This event's content was changed after it was sealed.
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
    /// This event was not sealed by the audit service.
    Inserted {
        /// Its position.
        seq: i64,
        /// Its id.
        id: Uuid,
    },
    /// This event sits at another position than the one it was sealed at, and the event
    /// that preceded it there is still in the chain: events were moved.
    Reordered {
        /// Where it is now.
        seq: i64,
        /// Its id.
        id: Uuid,
        /// Where it was sealed.
        sealed_at: i64,
    },
    /// This event has a hash or `prev_hash` but no `seq`: the sealer sets all three
    /// together, so someone else wrote it. (A sealed event that lost its hash or link is
    /// [`ProblemKind::Altered`].)
    PartlySealed {
        /// Its id.
        id: Uuid,
    },
    /// The chain has events but its head row in `audit_chains` is gone.
    HeadMissing {
        /// The last event's position.
        last_seq: i64,
    },
}

/// A chain's last sealed event, as verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    /// The chain.
    pub chain: String,
    /// The last event's position (0 for a chain with no sealed events).
    pub seq: i64,
    /// The last event's hash.
    pub hash: String,
}

/// The events of one chain that wait to be sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SealingLag {
    /// The chain.
    pub chain: String,
    /// How many of its events are not sealed yet.
    pub events: u64,
    /// When the oldest of them was recorded.
    pub oldest_created_at: DateTime<Utc>,
    /// How long before the verification that was, in milliseconds: about how long it has
    /// been open to undetected change (0 if its clock was ahead).
    pub oldest_age_ms: u64,
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
            Self::Reordered { seq, id, sealed_at } => {
                write!(f, "event {seq} ({id}) was moved: it was sealed at position {sealed_at}")
            }
            Self::PartlySealed { id } => {
                write!(
                    f,
                    "event {id} is partly sealed: the sealer never writes only some of seq, prev_hash and hash"
                )
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
    /// A summary line, one line per problem, then the sealing lag.
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
        match self.longest_wait() {
            None => write!(f, "\nsealing: every event is sealed"),
            Some(longest) => write!(
                f,
                "\nsealing: {} event(s) in {} chain(s) not sealed yet; the oldest was recorded {:.1} s ago (chain {})",
                self.unsealed_events(),
                self.unsealed.len(),
                longest.oldest_age_ms as f64 / 1000.0,
                longest.chain
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, Utc};

    use super::{SealingLag, VerifyReport};

    #[test]
    fn the_longest_wait_is_the_earliest_event_even_when_ages_in_milliseconds_tie() {
        let earlier = Utc::now();
        let lag = |chain: &str, at| SealingLag {
            chain: chain.to_owned(),
            events: 1,
            oldest_created_at: at,
            oldest_age_ms: 60,
        };
        let report = VerifyReport {
            unsealed: vec![lag("org", earlier), lag("platform", earlier + TimeDelta::microseconds(600))],
            ..VerifyReport::default()
        };
        assert_eq!(report.longest_wait().map(|lag| lag.chain.as_str()), Some("org"));
    }
}
