//! Tasks: title, Markdown description, a per-organization workflow, priority, assignees and
//! watchers, due dates, labels, estimates, sub-tasks (one level), links to records of other
//! apps, comments, attachments (through the storage service), an activity history built from
//! the audit trail, recurring series, due reminders and a daily overdue digest.
//!
//! The layout is the app pattern every later app copies (`docs/architecture.md`): `model.rs` and
//! `migration.rs` (tables), `service/` (every write, in one transaction with its audit record
//! and events), `selector/` (reads, on the read pool), `api/` (JSON + OpenAPI),
//! `permission.rs`, `job.rs`, `event.rs`. See `docs/apps/tasks.md`.

pub mod api;
pub mod caller;
pub mod console;
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

use baseops_app::{App, Demo, LargeBody, Route};

pub use caller::Caller;
pub use event::subscribe;
pub use link::TaskLinks;
pub use priority::Priority;

/// The tasks app: routes under `/api/v1/tasks`, its tables, permissions, jobs and
/// schedules (reminders, recurrence, the overdue digest), events, links to other apps'
/// records, and demo data.
pub fn app() -> App {
    App::new("tasks")
        .depends_on(&["users", "jobs", "audit", "idempotency", "notifications", "storage"])
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS, permission::DEFAULT_GRANTS)
        .with_console(console::SECTION)
        .with_large_bodies(&[
            LargeBody {
                method: "POST",
                path: "/tasks/{id}/attachments",
                limit: |settings| usize::try_from(settings.storage.max_file_bytes).unwrap_or(usize::MAX),
            },
            LargeBody {
                method: "POST",
                path: "/admin/tasks/{id}/attachments",
                // The file, and room for the form's part headers around it.
                limit: |settings| {
                    usize::try_from(settings.storage.max_file_bytes)
                        .unwrap_or(usize::MAX)
                        .saturating_add(64 * 1024)
                },
            },
        ])
        // Creating a task claims its Idempotency-Key in the create's own transaction.
        .with_idempotent_in_service(&[Route { method: "POST", path: "/tasks" }])
        .with_jobs(|jobs| {
            jobs.register::<job::SendReminder>()
                .register::<job::CreateNextOccurrence>()
                .register::<job::RecurrenceTick>()
                .register::<job::OverdueDigest>()
        })
        .with_schedules(&[job::RECURRENCE_HOURLY, job::OVERDUE_DIGEST_DAILY])
        .with_events(event::EMITTED, event::subscribe)
        .with_links(|links| links.with_source(TaskLinks))
        .with_demo(Demo {
            noun: "tasks",
            description: "Tasks in every stage, some assigned and labelled, due dates around now",
            seed: |state, acting, organization_id, count, progress| {
                Box::pin(demo::seed_tasks(state, acting, organization_id, count, progress))
            },
        })
}
