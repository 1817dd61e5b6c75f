//! Demo and benchmark data: `baseops demo-data leads --org <slug> --count N` fills an
//! organization with plausible leads quickly — multi-row inserts of [`ROWS_PER_INSERT`]
//! rows, 50,000 per transaction, one audit event per insert (not one per lead).

use baseops_core::{Acting, AppState};
use chrono::Utc;
use sea_orm::{DbErr, TransactionTrait};
use uuid::Uuid;

use crate::model::StageKind;
use crate::selector::pipeline::pipelines_of;
use crate::service::lead::{SeedRow, StartStage, leads_insert_many, start_stage};
use crate::service::lead_input::LeadFields;

/// Rows per INSERT (35 values each: under SQLite's 32,766 and PostgreSQL's 65,535 parameters).
pub const ROWS_PER_INSERT: usize = 500;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: u64 = 50_000;
/// Most leads one call creates.
pub const MAX_COUNT: u64 = 10_000_000;

const FIRST: [&str; 10] =
    ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Donald", "Frances"];
const LAST: [&str; 10] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Torvalds", "Knuth",
    "Allen",
];
const COMPANIES: [&str; 8] = ["Initech", "Globex", "Umbrella", "Hooli", "Acme", "Stark", "Wayne", "Tyrell"];
const SOURCES: [&str; 5] = ["web_form", "referral", "campaign", "manual", "import"];
const TAGS: [&str; 4] = ["vip", "enterprise", "smb", "partner"];
const CAMPAIGNS: [&str; 3] = ["spring", "webinar", "newsletter"];

/// A small deterministic generator (xorshift): the same count gives the same data.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// Creates `count` leads in the organization, owned in turn by its members, spread over the
/// default pipeline's stages (most open), a third with a value, some tagged; the first
/// member created them. Calls `progress` with the running total after each transaction.
///
/// # Errors
/// Database errors (the transaction in flight rolls back; earlier ones stay);
/// `DbErr::RecordNotFound` when the organization has no member.
pub async fn seed_leads(
    state: &AppState,
    acting: Acting<'_>,
    organization_id: Uuid,
    count: u64,
    mut progress: impl FnMut(u64),
) -> Result<u64, DbErr> {
    let count = Ord::min(count, MAX_COUNT);
    let db = state.db().write();
    let owners = baseops_core::directory(state).member_ids(db.into(), organization_id).await?;
    let creator = *owners
        .first()
        .ok_or_else(|| DbErr::RecordNotFound(format!("organization {organization_id} has no member")))?;
    let txn = db.begin().await?;
    let start = start_stage(&txn, acting, organization_id).await?;
    txn.commit().await?;
    let pipelines = pipelines_of(db, organization_id).await?;
    let stages: Vec<(StartStage, StageKind)> = pipelines
        .iter()
        .find(|pipeline| pipeline.id == start.pipeline_id)
        .map(|pipeline| {
            pipeline
                .stages
                .iter()
                .map(|stage| (StartStage { pipeline_id: pipeline.id, stage_id: stage.id }, stage.kind))
                .collect()
        })
        .unwrap_or_default();
    let mut sequence = Sequence(0x9E37_79B9_7F4A_7C15 ^ count);
    let mut done = 0;
    while done < count {
        let txn = db.begin().await?;
        let in_this = Ord::min(count - done, ROWS_PER_TRANSACTION);
        let mut written = 0;
        while written < in_this {
            let rows = Ord::min(in_this - written, ROWS_PER_INSERT as u64);
            let batch: Vec<SeedRow> = (0..rows)
                .map(|offset| demo_row(&mut sequence, done + written + offset, &owners, &stages))
                .collect();
            leads_insert_many(
                &txn,
                acting,
                organization_id,
                start,
                Some(creator),
                batch,
                ("lead.seed_batch", "organization", organization_id),
                Utc::now(),
            )
            .await?;
            written += rows;
        }
        txn.commit().await?;
        done += in_this;
        progress(done);
    }
    Ok(done)
}

fn demo_row(
    sequence: &mut Sequence,
    index: u64,
    owners: &[Uuid],
    stages: &[(StartStage, StageKind)],
) -> SeedRow {
    let first = FIRST[sequence.next(FIRST.len() as u64) as usize];
    let last = LAST[sequence.next(LAST.len() as u64) as usize];
    let company = COMPANIES[sequence.next(COMPANIES.len() as u64) as usize];
    let with_value = sequence.next(3) == 0;
    let tagged = sequence.next(5) == 0;
    // Half the leads stay in the first stage; the rest spread over all stages.
    let stage = if sequence.next(2) == 0 || stages.is_empty() {
        None
    } else {
        Some(stages[sequence.next(stages.len() as u64) as usize])
    };
    let fields = LeadFields {
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: Some(format!(
            "{}.{}.{index}@{}.example",
            first.to_lowercase(),
            last.to_lowercase(),
            company.to_lowercase()
        )),
        phone: index.is_multiple_of(4).then(|| format!("+1201555{:04}", index % 10_000)),
        company: Some(format!("{company} {}", index % 1000)),
        source: SOURCES[sequence.next(SOURCES.len() as u64) as usize].to_owned(),
        value_amount: with_value.then(|| (sequence.next(1000) as i64 + 1) * 10_000),
        currency: with_value.then(|| "EUR".to_owned()),
        tags: if tagged {
            vec![TAGS[sequence.next(TAGS.len() as u64) as usize].to_owned()]
        } else {
            Vec::new()
        },
        score: sequence.next(101) as i32,
        utm: [
            None,
            None,
            (sequence.next(4) == 0)
                .then(|| CAMPAIGNS[sequence.next(CAMPAIGNS.len() as u64) as usize].to_owned()),
            None,
            None,
        ],
        ..LeadFields::default()
    };
    let owner_id = owners.get((index % owners.len().max(1) as u64) as usize).copied();
    SeedRow { fields, owner_id, stage }
}
