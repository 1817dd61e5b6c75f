//! Tasks: title, Markdown description, a per-organization workflow, priority, assignees and
//! watchers, due dates, labels, estimates, sub-tasks (one level), links to records of other
//! apps, comments, attachments (through the storage service), an activity history built from
//! the audit trail, recurring series, due reminders and a daily overdue digest.
//!
//! The layout is the app pattern every later app copies (DESIGN.md §4): `model.rs` and
//! `migration.rs` (tables), `service/` (every write, in one transaction with its audit record
//! and events), `selector/` (reads, on the read pool), `api/` (JSON + OpenAPI),
//! `permission.rs`, `job.rs`, `event.rs`. See `docs/apps/tasks.md`.

pub mod api;
pub mod caller;
pub mod demo;
pub mod event;
pub mod job;
pub mod link;
pub mod markdown;
mod migration;
// Entity fields mirror the columns created in `migration.rs`.
#[allow(missing_docs)]
pub mod model;
pub mod permission;
pub mod priority;
pub mod recurrence;
pub mod selector;
pub mod service;
pub mod workflow;

use baseops_core::{App, LargeBody};

pub use caller::Caller;
pub use event::subscribe;
pub use link::TaskLinks;
pub use priority::Priority;

/// The tasks app: routes under `/api/v1/tasks`, its permissions and migrations (which run
/// after the users app's).
pub fn app() -> App {
    App::new("tasks")
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS)
        .with_large_bodies(&[LargeBody {
            method: "POST",
            path: "/tasks/{id}/attachments",
            limit: |settings| usize::try_from(settings.storage.max_file_bytes).unwrap_or(usize::MAX),
        }])
}

/// The tasks app's job types, for the composition root's registry.
pub fn register_jobs(registry: baseops_jobs::Registry) -> baseops_jobs::Registry {
    registry
        .register::<job::SendReminder>()
        .register::<job::CreateNextOccurrence>()
        .register::<job::RecurrenceTick>()
        .register::<job::OverdueDigest>()
}

/// The tasks app's recurring jobs.
pub const SCHEDULES: [baseops_jobs::Recurring; 2] = [job::RECURRENCE_HOURLY, job::OVERDUE_DIGEST_DAILY];
