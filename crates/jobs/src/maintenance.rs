//! The queue's own upkeep: finished jobs older than `jobs.retention_days` are deleted daily.

use serde::{Deserialize, Serialize};

use crate::job::{Job, JobContext, JobError};
use crate::queue::Enqueue;
use crate::schedule::Recurring;

/// Deletes done and dead jobs past the retention period.
#[derive(Debug, Serialize, Deserialize)]
pub struct PurgeFinished;

#[async_trait::async_trait]
impl Job for PurgeFinished {
    const NAME: &'static str = "jobs.purge_finished";
    const QUEUE: &'static str = "default";

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let days = i64::try_from(ctx.state.settings().jobs.retention_days).unwrap_or(i64::MAX / 86_400_000);
        let cutoff = chrono::Utc::now() - chrono::Duration::days(days);
        let purged = crate::admin::purge(ctx.state.db().write(), cutoff).await.map_err(JobError::retry)?;
        tracing::info!(purged, "finished jobs purged");
        Ok(())
    }
}

/// [`PurgeFinished`] once a day, at a quiet hour.
pub const PURGE_DAILY: Recurring =
    Recurring { name: "purge_finished", cron: "17 3 * * *", job: || Enqueue::new(&PurgeFinished) };
