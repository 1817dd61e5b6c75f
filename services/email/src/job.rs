//! The outbox: [`enqueue_email`] stores a rendered message as a [`SendEmail`] job in the
//! caller's transaction; the worker sends it, retrying what may succeed later.

use baseops_core::Acting;
use baseops_jobs::{Enqueue, Job, JobContext, JobError, enqueue};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::backend::Mailer;
use crate::message::Email;

/// The queue e-mail jobs go to: workers must take it (`jobs.queues` includes it by default).
pub const QUEUE: &str = "email";

/// Sends one rendered message with the application's [`Mailer`] (or, when the state has none,
/// a sender built from the settings for this one message).
///
/// A transient failure (4xx, refused connection, timeout, disk error) is retried with the
/// queue's back-off, up to [`SendEmail::MAX_ATTEMPTS`] attempts; a permanent one (5xx, a bad
/// address, a header holding a line break) makes the job dead at once with the error
/// recorded. Like every job it may run twice if a worker dies mid-send, so a recipient can,
/// rarely, get a message twice; never none once the change committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendEmail {
    /// The message.
    pub email: Email,
}

#[async_trait::async_trait]
impl Job for SendEmail {
    const NAME: &'static str = "email.send";
    const QUEUE: &'static str = QUEUE;
    /// With `jobs.backoff_base_ms` = 1 s the delays double from 1 s to 34 min: thirteen
    /// attempts ride out about 70 minutes of mail-server outage.
    const MAX_ATTEMPTS: i32 = 13;
    /// The message holds reset and invitation links: blank it once sent.
    const KEEP_INPUT: bool = false;
    /// Connect, TLS, authentication and the message, each within `email.smtp_timeout_secs`.
    const TIMEOUT_SECS: i32 = 120;
    /// Links in e-mail are waited for: ahead of bulk work on a shared queue.
    const PRIORITY: i32 = 10;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let mailer = match ctx.state.extension::<Mailer>() {
            Some(mailer) => mailer.clone(),
            None => Mailer::from_settings(&ctx.state.settings().email),
        };
        match mailer.send(&self.email).await {
            Ok(()) => {
                tracing::info!(target: "baseops_email", job_id = %ctx.job_id, subject = %self.email.subject, "e-mail sent");
                Ok(())
            }
            Err(error) if error.is_permanent() => Err(JobError::permanent(error)),
            Err(error) => Err(JobError::retry(error)),
        }
    }
}

/// Enqueues `email` in the caller's transaction: it is sent exactly when the transaction
/// commits. The job carries the organization and the request id of `acting`, so logs and
/// the audit trail join.
///
/// The stored job holds the whole message — with the links it carries — until the job is
/// purged (`jobs.retention_days`); treat the `jobs` table as secret as the mail itself.
///
/// # Errors
/// Database errors.
pub async fn enqueue_email(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Option<Uuid>,
    email: Email,
) -> Result<Uuid, DbErr> {
    let job = Enqueue::new(&SendEmail { email })
        .map_err(|error| DbErr::Custom(format!("job {}: {error}", SendEmail::NAME)))?
        .context(organization_id, Some(acting.origin.request_id.as_str()));
    // Without a de-duplication key a job is always inserted.
    let id = enqueue(txn, job).await?;
    id.ok_or_else(|| DbErr::Custom(format!("job {} was not enqueued", SendEmail::NAME)))
}
