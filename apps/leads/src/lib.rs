//! The leads app: a CRM pipeline. Leads with contact data, owner, stage, estimated value
//! and UTM attribution; pipelines of stages; a timeline of activities; CSV import (mapping,
//! validation report, de-duplication, background commit with progress) and streamed CSV
//! export; assignment rules; duplicates and merging; conversion of won leads into
//! customers. See `docs/apps/leads.md`.
//!
//! Lead creation is the headline performance path: one `INSERT … SELECT` plus the event
//! and audit rows, in one transaction ([`service::lead::create`]).

mod api;
mod cli;
pub mod console;
pub mod contact;
pub mod demo;
pub mod event;
pub mod import;
pub mod job;
pub mod link;
mod migration;
// Entity fields mirror the columns created in `migration.rs`.
#[allow(missing_docs)]
pub mod model;
pub mod permission;
pub mod selector;
pub mod service;

use baseops_app::{App, Demo, LargeBody, Route};

pub use event::subscribe;
pub use job::{CommitImport, ValidateImport};
pub use link::LeadLinks;

/// The leads app: its API, tables, permissions, import jobs, events, the `lead` link
/// target other apps' records point at, `baseops leads import` and demo data.
pub fn app() -> App {
    App::new("leads")
        .depends_on(&["users", "customers", "jobs", "audit", "idempotency", "notifications"])
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS, permission::DEFAULT_GRANTS)
        .with_console(console::SECTION)
        .with_large_bodies(&[
            LargeBody {
                method: "POST",
                path: "/leads/imports",
                // The file, and room for the form's text fields and part headers around it.
                limit: |settings| settings.leads.import_max_bytes.saturating_add(256 * 1024),
            },
            LargeBody {
                method: "POST",
                path: "/admin/leads/import",
                limit: |settings| settings.leads.import_max_bytes.saturating_add(256 * 1024),
            },
        ])
        // Creating a lead claims its Idempotency-Key in the create's own transaction.
        .with_idempotent_in_service(&[Route { method: "POST", path: "/leads" }])
        .with_jobs(|jobs| jobs.register::<ValidateImport>().register::<CommitImport>())
        .with_events(event::EMITTED, event::subscribe)
        .with_links(|links| links.with_target(LeadLinks))
        .with_commands(cli::commands)
        .with_demo(Demo {
            noun: "leads",
            description: "Leads over the default pipeline's stages, owned by the members in turn, some with a value, tags and a UTM campaign",
            seed: |state, acting, organization_id, count, progress| {
                Box::pin(demo::seed_leads(state, acting, organization_id, count, progress))
            },
        })
}
