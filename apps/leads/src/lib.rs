//! The leads app: a CRM pipeline. Leads with contact data, owner, stage, estimated value
//! and UTM attribution; pipelines of stages; a timeline of activities; CSV import (mapping,
//! validation report, de-duplication, background commit with progress) and streamed CSV
//! export; assignment rules; duplicates and merging; conversion of won leads into
//! customers. See `docs/apps/leads.md`.
//!
//! Lead creation is the headline performance path: one `INSERT … SELECT` plus the event
//! and audit rows, in one transaction ([`service::lead`]).

mod api;
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

use baseops_core::{App, LargeBody};

pub use event::subscribe;
pub use job::{CommitImport, ValidateImport};
pub use link::LeadLinks;

/// The leads app. Its migrations run after the users and customers apps'.
pub fn app() -> App {
    App::new("leads")
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS)
        .with_large_bodies(&[LargeBody {
            method: "POST",
            path: "/leads/imports",
            // The file, and room for the form's text fields and part headers around it.
            limit: |settings| settings.leads.import_max_bytes.saturating_add(256 * 1024),
        }])
}
