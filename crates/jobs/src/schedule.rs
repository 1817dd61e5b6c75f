//! Recurring jobs declared in code: every `every`, one job per tick, however many workers
//! run. A tick is claimed by inserting `(schedule, tick)` into `job_ticks` in the same
//! transaction that enqueues its job, so exactly one worker enqueues each tick.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use crate::queue::{Enqueue, enqueue};

/// A recurring job.
#[derive(Clone, Copy, Debug)]
pub struct Recurring {
    /// Unique name of the schedule.
    pub name: &'static str,
    /// How often; ticks are aligned to the Unix epoch (every hour = on the hour, UTC).
    pub every: Duration,
    /// The job to enqueue at each tick.
    pub job: fn() -> Result<Enqueue, serde_json::Error>,
}

#[derive(sea_orm::DeriveIden)]
enum JobTicks {
    Table,
    Schedule,
    Tick,
    CreatedAt,
}

/// Enqueues the job of every schedule whose current tick no worker has enqueued yet;
/// returns how many were enqueued.
///
/// # Errors
/// Database errors.
pub async fn run_due(
    db: &sea_orm::DatabaseConnection,
    schedules: &[Recurring],
    now: DateTime<Utc>,
) -> Result<u32, DbErr> {
    let mut enqueued = 0;
    for schedule in schedules {
        let every = i64::try_from(schedule.every.as_secs().max(1)).unwrap_or(i64::MAX);
        let tick = now.timestamp().div_euclid(every);
        let txn = db.begin().await?;
        let claim = Query::insert()
            .into_table(JobTicks::Table)
            .columns([JobTicks::Schedule, JobTicks::Tick, JobTicks::CreatedAt])
            .values_panic([schedule.name.into(), tick.into(), now.into()])
            .on_conflict(OnConflict::columns([JobTicks::Schedule, JobTicks::Tick]).do_nothing().to_owned())
            .to_owned();
        if txn.execute(&claim).await?.rows_affected() == 1 {
            let job = (schedule.job)()
                .map_err(|error| DbErr::Custom(format!("schedule {}: {error}", schedule.name)))?;
            enqueue(&txn, job.dedup_key(format!("schedule:{}:{tick}", schedule.name))).await?;
            enqueued += 1;
        }
        txn.commit().await?;
    }
    Ok(enqueued)
}
