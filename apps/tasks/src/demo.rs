//! Demo and benchmark data: `baseops demo-data tasks --org <slug> --count N` fills an
//! organization with plausible tasks quickly — multi-row inserts of 1,000 rows, 50,000 per
//! transaction, with their titles' search words — and records one audit event for the whole
//! batch (not one per task).

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, AppState};
use chrono::{Duration, Utc};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use uuid::Uuid;

use crate::workflow::{CANCELLED, DONE, IN_PROGRESS, IN_REVIEW, TODO};

/// Rows per INSERT statement (14 values each, well under both databases' parameter limits).
const ROWS_PER_INSERT: usize = 1_000;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: u64 = 50_000;
/// Most tasks one call creates.
pub const MAX_COUNT: u64 = 10_000_000;

const VERBS: [&str; 8] = ["Call", "Email", "Review", "Prepare", "Update", "Fix", "Plan", "Check"];
const THINGS: [&str; 8] = [
    "the proposal",
    "invoice 1042",
    "onboarding notes",
    "the Q3 report",
    "the demo",
    "supplier contract",
    "the roadmap",
    "the backlog",
];
const LABELS: [&str; 4] = ["sales", "ops", "finance", "support"];

/// A small deterministic generator (xorshift): the same count gives the same data, with no
/// dependency on a random-number crate.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// Creates `count` tasks in the organization, created by its first member; a tenth are
/// assigned to that member and carry a label. Statuses: 40 % todo, 25 % in progress, 10 % in
/// review, 20 % done, 5 % cancelled; due dates spread over the next (and, for a few, the
/// last) weeks. Calls `progress` with the running total after each transaction.
///
/// # Errors
/// Database errors (the transaction in flight rolls back; earlier ones stay).
pub async fn seed_tasks(
    state: &AppState,
    acting: Acting<'_>,
    organization_id: Uuid,
    count: u64,
    mut progress: impl FnMut(u64),
) -> Result<u64, DbErr> {
    let count = Ord::min(count, MAX_COUNT);
    let db = state.db().write();
    let creator = baseops_core::directory(state)
        .member_ids(db.into(), organization_id)
        .await?
        .first()
        .copied()
        .ok_or_else(|| DbErr::RecordNotFound(format!("organization {organization_id} has no member")))?;
    let mut sequence = Sequence(0x9E37_79B9_7F4A_7C15 ^ count);
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let mut done = 0;
    while done < count {
        let txn = db.begin().await?;
        let in_this = Ord::min(count - done, ROWS_PER_TRANSACTION);
        let mut written = 0;
        while written < in_this {
            let rows = usize::try_from(Ord::min(in_this - written, ROWS_PER_INSERT as u64))
                .unwrap_or(ROWS_PER_INSERT);
            let mut tasks = Query::insert()
                .into_table(Alias::new("tasks"))
                .columns(
                    [
                        "id",
                        "organization_id",
                        "title",
                        "description",
                        "status",
                        "priority",
                        "due_at",
                        "created_by",
                        "created_at",
                        "updated_at",
                        "completed_at",
                        "version",
                    ]
                    .map(Alias::new),
                )
                .to_owned();
            let mut assignees = Query::insert()
                .into_table(Alias::new("task_assignees"))
                .columns(["task_id", "user_id"].map(Alias::new))
                .to_owned();
            let mut labels = Query::insert()
                .into_table(Alias::new("task_labels"))
                .columns(["task_id", "label", "organization_id"].map(Alias::new))
                .to_owned();
            let mut extra = 0;
            let mut titles: Vec<(Uuid, String)> = Vec::with_capacity(rows);
            for _ in 0..rows {
                let id = Uuid::now_v7();
                let status = match sequence.next(100) {
                    0..40 => TODO,
                    40..65 => IN_PROGRESS,
                    65..75 => IN_REVIEW,
                    75..95 => DONE,
                    _ => CANCELLED,
                };
                let title = format!(
                    "{} {}",
                    VERBS[usize::try_from(sequence.next(8)).unwrap_or(0)],
                    THINGS[usize::try_from(sequence.next(8)).unwrap_or(0)]
                );
                let due_at = (sequence.next(3) > 0).then(|| {
                    now + Duration::hours(i64::try_from(sequence.next(24 * 60)).unwrap_or(0) - 24 * 7)
                });
                titles.push((id, title.clone()));
                let priority = i16::try_from(sequence.next(4)).unwrap_or(1);
                let completed_at = (status == DONE).then_some(now);
                tasks.values_panic([
                    id.into(),
                    organization_id.into(),
                    title.into(),
                    "Seeded by `baseops demo-data`.".into(),
                    status.into(),
                    priority.into(),
                    due_at.into(),
                    creator.into(),
                    now.into(),
                    now.into(),
                    completed_at.into(),
                    1.into(),
                ]);
                if sequence.next(10) == 0 {
                    assignees.values_panic([id.into(), creator.into()]);
                    let label = LABELS[usize::try_from(sequence.next(4)).unwrap_or(0)];
                    labels.values_panic([id.into(), label.into(), organization_id.into()]);
                    extra += 1;
                }
            }
            txn.execute(&tasks).await?;
            let titles: Vec<(Uuid, &str)> = titles.iter().map(|(id, title)| (*id, title.as_str())).collect();
            crate::service::words::insert_words(&txn, organization_id, &titles).await?;
            if extra > 0 {
                txn.execute(&assignees).await?;
                txn.execute(&labels).await?;
            }
            written += rows as u64;
        }
        txn.commit().await?;
        done += in_this;
        progress(done);
    }
    // Fresh statistics, so the planner picks the list indexes at once rather than after the
    // next autovacuum (PostgreSQL) or never (SQLite without ANALYZE).
    for table in ["tasks", "task_assignees", "task_labels", "task_search_words"] {
        db.execute_unprepared(&format!("ANALYZE {table}")).await?;
    }
    let txn = db.begin().await?;
    let entry = AuditEntry::new(acting, Some(organization_id), "task.seed", "organization", organization_id)
        .changes(Changes::new().set("tasks_created", None::<()>, done));
    record(&txn, entry).await?;
    txn.commit().await?;
    Ok(done)
}
