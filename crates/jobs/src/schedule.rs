//! Recurring jobs: apps declare a [`Recurring`] job with a default cron expression; the
//! `[jobs]` settings may move it to another expression or time zone, or switch it off
//! ([`resolve`]). Each occurrence (a *tick*) is enqueued once however many workers run: a tick
//! is claimed by inserting `(schedule, tick)` into `job_ticks` in the same transaction that
//! enqueues its job.
//!
//! A tick missed while no worker ran (a deploy, an outage) is enqueued late, once, if it is
//! less than [`CATCH_UP`] old; older missed ticks are skipped, never replayed in a burst.

use std::str::FromStr;

use baseops_config::JobsSettings;
use baseops_db::WriteConnection;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use crate::queue::{Enqueue, enqueue};

/// How late a missed tick may still be enqueued.
pub const CATCH_UP: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// A recurring job as an app declares it.
#[derive(Clone, Copy, Debug)]
pub struct Recurring {
    /// Unique name; `[jobs.schedules.<name>]` overrides it, so letters, digits and `_` only.
    pub name: &'static str,
    /// The default five-field cron expression (`minute hour day-of-month month day-of-week`),
    /// read in `jobs.timezone`.
    pub cron: &'static str,
    /// The job to enqueue at each tick.
    pub job: fn() -> Result<Enqueue, serde_json::Error>,
}

/// A recurring job as the worker runs it: its expression parsed, its zone known.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// The declared name.
    pub name: &'static str,
    /// The effective cron expression, as written.
    pub expression: String,
    cron: Cron,
    /// The zone the expression is read in.
    pub timezone: Tz,
    job: fn() -> Result<Enqueue, serde_json::Error>,
}

impl Schedule {
    /// The latest tick at or before `now`, in UTC.
    pub fn latest_tick(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&self.timezone);
        self.cron.find_previous_occurrence(&local, true).ok().map(|tick| tick.with_timezone(&Utc))
    }

    /// The first tick after `now`, in UTC.
    pub fn next_tick(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&self.timezone);
        self.cron.find_next_occurrence(&local, false).ok().map(|tick| tick.with_timezone(&Utc))
    }
}

/// Applies the `[jobs]` settings to the build's declared schedules: the effective expression
/// and zone of each, without those switched off.
///
/// # Errors
/// Every problem found, one per line: an override naming no declared schedule, a cron
/// expression or time zone that does not parse, two schedules with one name.
pub fn resolve(declared: &[Recurring], settings: &JobsSettings) -> Result<Vec<Schedule>, String> {
    let mut problems = Vec::new();
    for name in settings.schedules.keys() {
        if !declared.iter().any(|schedule| schedule.name == name) {
            let known: Vec<&str> = declared.iter().map(|schedule| schedule.name).collect();
            problems.push(format!("jobs.schedules.{name}: no such schedule (known: {})", known.join(", ")));
        }
    }
    let default_zone = Tz::from_str(&settings.timezone)
        .map_err(|_| {
            problems.push(format!("jobs.timezone: {:?} is not an IANA time zone", settings.timezone))
        })
        .ok();
    let mut schedules = Vec::new();
    for (index, declared_schedule) in declared.iter().enumerate() {
        let name = declared_schedule.name;
        if declared[..index].iter().any(|earlier| earlier.name == name) {
            problems.push(format!("two schedules are named {name}"));
            continue;
        }
        let overrides = settings.schedules.get(name).cloned().unwrap_or_default();
        if overrides.enabled == Some(false) {
            continue;
        }
        let expression = overrides.cron.unwrap_or_else(|| declared_schedule.cron.to_owned());
        let cron = Cron::from_str(&expression)
            .map_err(|error| problems.push(format!("jobs.schedules.{name}.cron: {expression:?}: {error}")))
            .ok();
        let timezone = match overrides.timezone {
            Some(zone) => Tz::from_str(&zone)
                .map_err(|_| {
                    problems
                        .push(format!("jobs.schedules.{name}.timezone: {zone:?} is not an IANA time zone"))
                })
                .ok(),
            None => default_zone,
        };
        if let (Some(cron), Some(timezone)) = (cron, timezone) {
            schedules.push(Schedule { name, expression, cron, timezone, job: declared_schedule.job });
        }
    }
    if problems.is_empty() { Ok(schedules) } else { Err(problems.join("\n")) }
}

#[derive(sea_orm::DeriveIden)]
enum JobTicks {
    Table,
    Schedule,
    Tick,
    CreatedAt,
}

/// Enqueues the job of every schedule whose latest tick (within [`CATCH_UP`]) no worker has
/// enqueued yet; returns how many were enqueued.
///
/// # Errors
/// Database errors.
pub async fn run_due(db: &WriteConnection, schedules: &[Schedule], now: DateTime<Utc>) -> Result<u32, DbErr> {
    let mut enqueued = 0;
    for schedule in schedules {
        let Some(tick) = schedule.latest_tick(now).filter(|tick| now - *tick <= CATCH_UP) else {
            continue;
        };
        let txn = db.begin().await?;
        let claim = Query::insert()
            .into_table(JobTicks::Table)
            .columns([JobTicks::Schedule, JobTicks::Tick, JobTicks::CreatedAt])
            .values_panic([schedule.name.into(), tick.timestamp().into(), now.into()])
            .on_conflict(OnConflict::columns([JobTicks::Schedule, JobTicks::Tick]).do_nothing().to_owned())
            .to_owned();
        if txn.execute(&claim).await?.rows_affected() == 1 {
            let job = (schedule.job)()
                .map_err(|error| DbErr::Custom(format!("schedule {}: {error}", schedule.name)))?;
            let key = format!("schedule:{}:{}", schedule.name, tick.timestamp());
            enqueue(&txn, job.dedup_key(key)).await?;
            enqueued += 1;
        }
        txn.commit().await?;
    }
    Ok(enqueued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A schedule name, then its cron, zone and enabled overrides.
    type Override<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<bool>);

    fn settings(timezone: &str, overrides: &[Override]) -> JobsSettings {
        let mut settings: JobsSettings = serde_json::from_value(serde_json::json!({
            "queues": ["default"], "concurrency": 1, "lease_secs": 1, "poll_interval_ms": 1,
            "backoff_base_ms": 1, "retention_days": 1, "timezone": timezone,
        }))
        .unwrap();
        for (name, cron, timezone, enabled) in overrides {
            settings.schedules.insert(
                (*name).to_owned(),
                baseops_config::ScheduleSettings {
                    cron: cron.map(str::to_owned),
                    timezone: timezone.map(str::to_owned),
                    enabled: *enabled,
                },
            );
        }
        settings
    }

    const NIGHTLY: Recurring = Recurring {
        name: "nightly",
        cron: "0 3 * * *",
        job: || Enqueue::new(&crate::maintenance::PurgeFinished),
    };

    #[test]
    fn a_tick_is_read_in_the_schedules_zone() {
        let [berlin] = resolve(&[NIGHTLY], &settings("Europe/Berlin", &[])).unwrap().try_into().unwrap();
        // 03:00 in Berlin is 02:00 UTC in winter and 01:00 UTC in summer.
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
        assert_eq!(berlin.latest_tick(winter), Some(Utc.with_ymd_and_hms(2026, 1, 15, 2, 0, 0).unwrap()));
        let summer = Utc.with_ymd_and_hms(2026, 7, 15, 0, 30, 0).unwrap();
        assert_eq!(berlin.latest_tick(summer), Some(Utc.with_ymd_and_hms(2026, 7, 14, 1, 0, 0).unwrap()));
        assert_eq!(berlin.next_tick(summer), Some(Utc.with_ymd_and_hms(2026, 7, 15, 1, 0, 0).unwrap()));
    }

    #[test]
    fn settings_override_switch_off_and_are_checked() {
        let moved = resolve(
            &[NIGHTLY],
            &settings("UTC", &[("nightly", Some("*/5 * * * *"), Some("Asia/Tokyo"), None)]),
        )
        .unwrap();
        assert_eq!((moved[0].expression.as_str(), moved[0].timezone), ("*/5 * * * *", Tz::Asia__Tokyo));
        assert!(
            resolve(&[NIGHTLY], &settings("UTC", &[("nightly", None, None, Some(false))]))
                .unwrap()
                .is_empty()
        );

        let problems = resolve(
            &[NIGHTLY],
            &settings(
                "Mars/Olympus",
                &[("nightly", Some("61 * * * *"), None, None), ("nigthly", None, None, None)],
            ),
        )
        .unwrap_err();
        assert!(problems.contains("jobs.schedules.nigthly: no such schedule"), "{problems}");
        assert!(problems.contains("jobs.timezone"), "{problems}");
        assert!(problems.contains("jobs.schedules.nightly.cron"), "{problems}");
        assert!(resolve(&[NIGHTLY, NIGHTLY], &settings("UTC", &[])).unwrap_err().contains("two schedules"));
    }
}
