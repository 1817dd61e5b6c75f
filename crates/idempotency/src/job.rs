//! The daily purge of keys past [`RETENTION`].

use baseops_jobs::{Enqueue, Job, JobContext, JobError, Recurring};
use serde::{Deserialize, Serialize};

use crate::claim::{RETENTION, purge};

/// Deletes idempotency keys older than [`RETENTION`].
#[derive(Debug, Serialize, Deserialize)]
pub struct PurgeIdempotencyKeys;

#[async_trait::async_trait]
impl Job for PurgeIdempotencyKeys {
    const NAME: &'static str = "idempotency.purge";

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let cutoff = chrono::Utc::now() - RETENTION;
        let purged = purge(ctx.state.db().write(), cutoff).await.map_err(JobError::retry)?;
        tracing::info!(purged, "expired idempotency keys purged");
        Ok(())
    }
}

/// [`PurgeIdempotencyKeys`] once a day, at a quiet hour.
pub const PURGE_DAILY: Recurring = Recurring {
    name: "purge_idempotency_keys",
    cron: "41 3 * * *",
    job: || Enqueue::new(&PurgeIdempotencyKeys),
};
