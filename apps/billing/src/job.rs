//! The billing app's background jobs: the subscription renewal run, every five minutes, and
//! the dunning run, every hour.

use baseops_jobs::{Enqueue, Job, JobContext, JobError, Recurring};
use chrono::Utc;

use crate::service::dunning::remind::remind_due;
use crate::service::subscription::renew_due;

/// Periods one run renews at most; the next run goes on from there.
pub const RENEWALS_PER_RUN: u64 = 50_000;

/// Renews every subscription whose period has ended ([`renew_due`]).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct RenewSubscriptions;

#[async_trait::async_trait]
impl Job for RenewSubscriptions {
    const NAME: &'static str = "billing.renew_subscriptions";
    const TIMEOUT_SECS: i32 = 1800;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let done = renew_due(&ctx.state, Utc::now(), RENEWALS_PER_RUN).await.map_err(JobError::retry)?;
        tracing::info!(
            renewed = done.renewed,
            canceled = done.canceled,
            skipped = done.skipped,
            failed = done.failed,
            "subscriptions renewed"
        );
        Ok(())
    }
}

/// Every five minutes: [`RenewSubscriptions`].
pub const RENEWALS_EVERY_FIVE_MINUTES: Recurring =
    Recurring { name: "billing_renewals", cron: "*/5 * * * *", job: || Enqueue::new(&RenewSubscriptions) };

/// Reminders one run sends at most; the next run goes on from there.
pub const REMINDERS_PER_RUN: u64 = 50_000;

/// Sends the reminders of every organization's dunning schedule that are due ([`remind_due`]).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SendReminders;

#[async_trait::async_trait]
impl Job for SendReminders {
    const NAME: &'static str = "billing.send_reminders";
    const TIMEOUT_SECS: i32 = 1800;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let done = remind_due(&ctx.state, Utc::now(), REMINDERS_PER_RUN).await.map_err(JobError::retry)?;
        tracing::info!(
            sent = done.sent,
            late_fees = done.late_fees,
            failed = done.failed,
            "invoice reminders sent"
        );
        Ok(())
    }
}

/// Every hour at :11: [`SendReminders`] (a reminder goes out in the first run of its day in
/// the organization's time zone).
pub const REMINDERS_HOURLY: Recurring =
    Recurring { name: "billing_dunning", cron: "11 * * * *", job: || Enqueue::new(&SendReminders) };
