//! The scheduled backup: a daily job (`backup_daily`, 03:15 in `jobs.timezone`) that takes a
//! backup exactly as `baseops backup --quiet` does, when `backup.scheduled` is on (the default
//! in production). A tick is enqueued once however many workers run, so one backup a day.
//!
//! The job runs the command as a child process of the worker: hashing and archiving gigabytes
//! is blocking work that must not occupy the worker's async threads, the memory goes back to
//! the system when it ends, a crash of the backup cannot take the worker down, and the code
//! path is the one cron and `scripts/backup_db.sh` use.

use std::process::Stdio;

use baseops_app::App;
use baseops_jobs::{Enqueue, Job, JobContext, JobError, Recurring};
use tokio::process::Command;

/// Takes a backup into `backup.dir` and applies the retention.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct TakeBackup;

/// Bytes of the child's stderr kept in the job's error: the last lines say what failed.
const ERROR_TAIL: usize = 2000;

#[async_trait::async_trait]
impl Job for TakeBackup {
    const NAME: &'static str = "backup.take";
    // A large PostgreSQL database dumps for hours; the child is killed when this expires.
    const TIMEOUT_SECS: i32 = 6 * 3600;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        if !ctx.state.settings().backup.scheduled {
            tracing::debug!("backup.scheduled is off: no backup taken");
            return Ok(());
        }
        let program = std::env::current_exe().map_err(JobError::retry)?;
        let output = Command::new(program)
            .args(["backup", "--quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|error| JobError::retry(format!("cannot start `baseops backup`: {error}")))?;
        if output.status.success() {
            let path = String::from_utf8_lossy(&output.stdout);
            tracing::info!(path = path.trim(), "backup written");
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail = &stderr[stderr.floor_char_boundary(stderr.len().saturating_sub(ERROR_TAIL))..];
        Err(JobError::retry(format!("`baseops backup` failed ({}): {}", output.status, tail.trim())))
    }
}

/// Every day at 03:15: [`TakeBackup`].
pub const BACKUP_DAILY: Recurring =
    Recurring { name: "backup_daily", cron: "15 3 * * *", job: || Enqueue::new(&TakeBackup) };

/// The backup "app": no tables or routes, only the daily job.
pub fn app() -> App {
    App::new("backup")
        .depends_on(&["jobs"])
        .with_jobs(|jobs| jobs.register::<TakeBackup>())
        .with_schedules(&[BACKUP_DAILY])
}
