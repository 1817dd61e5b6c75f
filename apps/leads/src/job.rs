//! Background jobs: validating and committing CSV imports, with their progress on the
//! `lead_imports` row. Both are safe to run twice: validation starts over, a commit resumes
//! after the last committed batch.

use baseops_core::{Acting, Actor, Origin, RequestId};
use baseops_jobs::{Job, JobContext, JobError};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::service::import::{RunError, import_commit, import_validate};

/// Validates an uploaded import and stores its report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidateImport {
    /// The import.
    pub import_id: Uuid,
}

/// Writes a validated import's leads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommitImport {
    /// The import.
    pub import_id: Uuid,
}

fn outcome<T>(result: Result<T, RunError>) -> Result<(), JobError> {
    match result {
        Ok(_) => Ok(()),
        // Re-configured or finished meanwhile: nothing left for this job.
        Err(RunError::NotWaiting(id)) => {
            tracing::info!(import = %id, "lead import job found nothing to do");
            Ok(())
        }
        Err(RunError::Failed(reason)) => Err(JobError::Permanent(reason)),
        Err(RunError::Db(error)) => Err(JobError::retry(error)),
    }
}

/// The origin of a job's changes: its request id when it has one.
fn origin(ctx: &JobContext) -> Origin {
    let mut origin = Origin::internal();
    if let Some(id) = ctx.request_id.as_deref().and_then(RequestId::from_client) {
        origin.request_id = id;
    }
    origin
}

#[async_trait::async_trait]
impl Job for ValidateImport {
    const NAME: &'static str = "leads.import_validate";
    const MAX_ATTEMPTS: i32 = 3;
    const TIMEOUT_SECS: i32 = 3600;

    fn dedup_key(&self) -> Option<String> {
        Some(format!("leads.import_validate:{}", self.import_id))
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let settings = &ctx.state.settings().leads;
        let directory = baseops_core::directory(&ctx.state);
        let db = ctx.state.db().write();
        outcome(import_validate(db, &*directory, self.import_id, settings, &|_, _| {}).await)
    }
}

#[async_trait::async_trait]
impl Job for CommitImport {
    const NAME: &'static str = "leads.import_commit";
    const MAX_ATTEMPTS: i32 = 5;
    const TIMEOUT_SECS: i32 = 3600;

    fn dedup_key(&self) -> Option<String> {
        Some(format!("leads.import_commit:{}", self.import_id))
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let db = ctx.state.db().write();
        let importer = crate::model::lead_import::Entity::find_by_id(self.import_id)
            .one(db)
            .await
            .map_err(JobError::retry)?
            .and_then(|import| import.created_by);
        // The importer's changes, made by the job on their behalf.
        let actor = match importer {
            Some(user_id) => Actor::User { user_id },
            None => Actor::System { name: "job:leads.import_commit".into() },
        };
        let origin = origin(ctx);
        let acting = Acting { actor: &actor, origin: &origin };
        let directory = baseops_core::directory(&ctx.state);
        let settings = &ctx.state.settings().leads;
        outcome(import_commit(db, &*directory, acting, self.import_id, settings, &|_, _| {}).await)
    }
}
