//! The users app's housekeeping: the hourly purge of throttle counters that hold nothing.

use baseops_jobs::{Enqueue, Job, JobContext, JobError, Recurring};
use serde::{Deserialize, Serialize};

use crate::service::throttle;

/// Deletes throttle counters whose window and delay are over.
#[derive(Debug, Serialize, Deserialize)]
pub struct PurgeThrottle;

#[async_trait::async_trait]
impl Job for PurgeThrottle {
    const NAME: &'static str = "users.purge_throttle";

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let purged =
            throttle::purge(ctx.state.db().write(), chrono::Utc::now()).await.map_err(JobError::retry)?;
        tracing::info!(purged, "expired throttle counters purged");
        Ok(())
    }
}

/// [`PurgeThrottle`] every hour: a guessing run leaves a row per address it came from.
pub const PURGE_THROTTLE_HOURLY: Recurring =
    Recurring { name: "purge_auth_throttle", cron: "17 * * * *", job: || Enqueue::new(&PurgeThrottle) };
