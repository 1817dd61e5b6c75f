//! What a job is: a typed, serializable value with a name and a `run` method, and the
//! registry that maps stored names back to code.

use std::collections::HashMap;
use std::sync::Arc;

use baseops_core::AppState;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (a timeout, a dependency down).
    #[error("{0}")]
    Retry(String),
    /// Will fail the same way every time (bad input, a refused address): the job is dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl JobError {
    /// A retryable failure from any error.
    pub fn retry(error: impl std::fmt::Display) -> Self {
        Self::Retry(error.to_string())
    }

    /// A permanent failure from any error.
    pub fn permanent(error: impl std::fmt::Display) -> Self {
        Self::Permanent(error.to_string())
    }
}

/// What a running job knows about itself.
#[derive(Clone, Debug)]
pub struct JobContext {
    /// The application state (settings, pools, services).
    pub state: AppState,
    /// The job's id.
    pub job_id: Uuid,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// The organization the job works for, if any.
    pub organization_id: Option<Uuid>,
    /// The request that caused it, to join logs and audit records.
    pub request_id: Option<String>,
}

/// A kind of background work. The value is the job's input, stored as JSON.
///
/// ```ignore
/// #[derive(Serialize, Deserialize)]
/// struct SendReminder { task_id: Uuid }
///
/// #[async_trait::async_trait]
/// impl Job for SendReminder {
///     const NAME: &'static str = "tasks.send_reminder";
///     async fn run(self, ctx: &JobContext) -> Result<(), JobError> { … }
/// }
/// ```
#[async_trait::async_trait]
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stable name, stored with each job: `<app>.<verb>`.
    const NAME: &'static str;
    /// The queue it goes to; workers choose queues.
    const QUEUE: &'static str = "default";
    /// Attempts before the job is dead.
    const MAX_ATTEMPTS: i32 = 5;
    /// Longest one attempt may take.
    const TIMEOUT_SECS: i32 = 300;
    /// Higher runs first.
    const PRIORITY: i32 = 0;
    /// Whether the input may stay in the table once the job is done. Jobs carrying secrets
    /// (an e-mail with a reset link) say `false`: their input is blanked on success.
    const KEEP_INPUT: bool = true;

    /// Jobs with the same key are not enqueued twice while one is pending or running.
    fn dedup_key(&self) -> Option<String> {
        None
    }

    /// Does the work.
    async fn run(self, ctx: &JobContext) -> Result<(), JobError>;
}

#[async_trait::async_trait]
trait Runner: Send + Sync {
    async fn run(&self, payload: &str, ctx: &JobContext) -> Result<(), JobError>;
    fn keep_input(&self) -> bool;
    fn queue(&self) -> &'static str;
}

struct Typed<J>(std::marker::PhantomData<fn() -> J>);

#[async_trait::async_trait]
impl<J: Job> Runner for Typed<J> {
    async fn run(&self, payload: &str, ctx: &JobContext) -> Result<(), JobError> {
        let job: J = serde_json::from_str(payload)
            .map_err(|error| JobError::Permanent(format!("the stored input does not parse: {error}")))?;
        job.run(ctx).await
    }

    fn keep_input(&self) -> bool {
        J::KEEP_INPUT
    }

    fn queue(&self) -> &'static str {
        J::QUEUE
    }
}

/// The jobs a worker can run, by name.
#[derive(Clone, Default)]
pub struct Registry {
    runners: HashMap<&'static str, Arc<dyn Runner>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.runners.keys()).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a job type.
    ///
    /// # Panics
    /// When another job type already has the name: two handlers for one name is a bug.
    pub fn register<J: Job>(mut self) -> Self {
        let previous = self.runners.insert(J::NAME, Arc::new(Typed::<J>(std::marker::PhantomData)));
        assert!(previous.is_none(), "two job types are named {}", J::NAME);
        self
    }

    /// Whether a job name is known.
    pub fn knows(&self, name: &str) -> bool {
        self.runners.contains_key(name)
    }

    /// The registered job names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.runners.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// The queues the registered job types go to, sorted.
    pub fn queues(&self) -> Vec<String> {
        let mut queues: Vec<String> = self.runners.values().map(|runner| runner.queue().to_owned()).collect();
        queues.sort_unstable();
        queues.dedup();
        queues
    }

    /// Adds every job type of `other`.
    ///
    /// # Errors
    /// The names both registries know (two apps registering one job name).
    pub fn absorb(&mut self, other: Self) -> Result<(), Vec<&'static str>> {
        let mut clashes: Vec<&'static str> =
            other.runners.keys().filter(|name| self.runners.contains_key(*name)).copied().collect();
        if !clashes.is_empty() {
            clashes.sort_unstable();
            return Err(clashes);
        }
        self.runners.extend(other.runners);
        Ok(())
    }

    /// Whether a done job of this name keeps its input (unknown names do).
    pub(crate) fn keeps_input(&self, name: &str) -> bool {
        self.runners.get(name).is_none_or(|runner| runner.keep_input())
    }

    pub(crate) async fn run(&self, name: &str, payload: &str, ctx: &JobContext) -> Result<(), JobError> {
        match self.runners.get(name) {
            Some(runner) => runner.run(payload, ctx).await,
            None => Err(JobError::Permanent(format!("no job named {name} is registered in this build"))),
        }
    }
}
