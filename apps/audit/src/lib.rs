//! The audit trail: who changed what, when and from where — tamper-evident.
//!
//! Services call [`record`] inside their own transaction, next to the change it describes,
//! so a change and its audit event commit (or roll back) together. Shortly after it commits,
//! the sealer ([`run_sealer`], one per `serve` and `worker` process; [`seal()`] is one round)
//! appends the event to a hash chain — one chain per organization, plus the `platform` chain
//! for events with no organization — where every event's hash covers its content and the
//! previous event's hash. Recording touches no shared row, so one organization's writers
//! never wait for each other. [`verify`](verify()) walks the chains, reports the first
//! edited, deleted, inserted or reordered event of each, and how far sealing lags. Selectors
//! ([`list`], [`for_each`]) read the trail with filters and cursor pagination, newest first,
//! sealed or not.
//!
//! ```no_run
//! # async fn example(txn: &sea_orm::DatabaseTransaction, actor: &baseops_core::Actor,
//! #                  origin: &baseops_core::Origin) -> Result<(), sea_orm::DbErr> {
//! # #[derive(serde::Serialize)] struct Lead { status: &'static str }
//! # let (before, after) = (Lead { status: "open" }, Lead { status: "won" });
//! use baseops_audit::{AuditEntry, Changes, record};
//! record(txn, AuditEntry {
//!     organization_id: Some(uuid::Uuid::now_v7()),
//!     actor,
//!     origin,
//!     action: "lead.update",
//!     entity_type: "lead",
//!     entity_id: "0190…".to_owned(),
//!     changes: Changes::between(&before, &after),
//! })
//! .await?;
//! # Ok(()) }
//! ```
//!
//! What the chain proves, and what it does not, is described in [`chain`] and [`verify`](mod@verify).

mod api;
pub mod chain;
mod changes;
mod cli;
pub mod console;
mod migration;
mod model;
pub mod permission;
pub mod seal;
pub mod selector;
pub mod service;
mod trail;
pub mod verify;

use baseops_app::{App, Background, RunsIn};

pub use changes::{Changes, FieldChange, REDACTED, SENSITIVE_FIELDS, SensitiveName, is_sensitive_field};
pub use seal::{SealOutcome, run_sealer, seal, seal_pending};
pub use selector::{AuditEvent, EventFilter, ListError, Page, for_each, list};
pub use service::{AuditEntry, record};
pub use verify::{ChainProblem, ProblemKind, SealingLag, VerifyReport, verify};

/// The audit app: `GET /api/v1/audit/events` (and its export), the `audit.view`
/// permission, the `audit_events` and `audit_chains` tables, the sealer (in every `serve`
/// and `worker` process), `baseops audit verify`, and the platform's [`Trail`](baseops_core::trail::Trail).
pub fn app() -> App {
    App::new("audit")
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS, permission::DEFAULT_GRANTS)
        .with_console(console::SECTION)
        .with_background(&[Background {
            name: "audit.sealer",
            runs_in: RunsIn::Both,
            run: |state, stop| Box::pin(run_sealer(state.db().write().clone(), stop)),
        }])
        .with_commands(cli::commands)
        .with_services(|state| {
            let trail: std::sync::Arc<dyn baseops_core::trail::Trail> =
                std::sync::Arc::new(trail::AuditTrail);
            Ok(state.with_extension(trail))
        })
}
