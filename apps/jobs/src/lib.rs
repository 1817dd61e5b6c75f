//! The jobs app: the job queue's tables, its superuser API (`/api/v1/jobs`), the
//! `baseops jobs …` commands, and the queue's own jobs — event dispatch and the daily purge of
//! finished jobs.
//!
//! The queue itself — the `Job` trait, enqueueing in the caller's transaction, the worker,
//! schedules and domain events — is the platform crate `baseops-jobs`; this app is what a
//! build composes so that the queue's tables exist and can be operated.

mod api;
mod cli;
pub mod console;

use baseops_app::App;
use baseops_jobs::events::Dispatch;
use baseops_jobs::maintenance::{PURGE_DAILY, PurgeFinished};

/// The jobs app. Every app that enqueues jobs or emits events depends on it.
pub fn app() -> App {
    App::new("jobs")
        .with_api(api::routes)
        .with_migrations(baseops_jobs::migrations)
        .with_jobs(|jobs| jobs.register::<Dispatch>().register::<PurgeFinished>())
        .with_schedules(&[PURGE_DAILY])
        .with_commands(cli::commands)
        .with_console(console::SECTION)
}
