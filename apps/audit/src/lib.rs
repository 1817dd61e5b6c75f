//! The audit trail: who changed what, when and from where — tamper-evident.
//!
//! Services call [`record`] inside their own transaction, next to the change it describes,
//! so a change and its audit event commit (or roll back) together. Each event is appended
//! to a hash chain — one chain per organization, plus the `platform` chain for events with
//! no organization — where every event's hash covers its content and the previous event's
//! hash. [`verify`](verify()) walks the chains and reports the first edited, deleted or
//! inserted event of each. Selectors ([`list`], [`for_each`]) read the trail with filters and
//! cursor pagination, newest first.
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
mod migration;
mod model;
pub mod permission;
pub mod selector;
pub mod service;
pub mod verify;

use baseops_core::App;

pub use changes::{Changes, FieldChange, REDACTED, SENSITIVE_FIELDS, SensitiveName, is_sensitive_field};
pub use selector::{AuditEvent, EventFilter, ListError, Page, for_each, list};
pub use service::{AuditEntry, record};
pub use verify::{ChainProblem, ProblemKind, VerifyReport, verify};

/// The audit app: `GET /api/v1/audit/events` (and its export), the `audit.view`
/// permission, and the migration creating `audit_events` and `audit_chains`.
pub fn app() -> App {
    App::new("audit")
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS)
}
