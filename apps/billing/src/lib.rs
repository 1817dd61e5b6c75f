//! Billing: tax rates, invoices (draft → open → paid | void | uncollectible) with gap-free
//! numbers per organization and year, the totals engine every document shares, and the
//! append-only ledger of what customers owe. See `docs/apps/billing.md`.
//!
//! The layout is the app pattern (`docs/architecture.md`): `model.rs` and `migration.rs`,
//! `service/` (every write, in one transaction with its audit record and events),
//! `selector.rs` (reads), `api/`, `permission.rs`, `event.rs`; `totals/` is the arithmetic,
//! with no database.

pub mod api;
mod cli;
pub mod console;
pub mod decimal;
pub mod demo;
pub mod document;
pub mod event;
pub mod input;
pub mod interval;
pub mod job;
mod migration;
// Entity fields mirror the columns created in `migration.rs`.
#[allow(missing_docs)]
pub mod model;
pub mod permission;
pub mod selector;
pub mod service;
pub mod status;
pub mod totals;
pub mod verify;

use baseops_app::{App, Demo, Route};
use baseops_jobs::EventBus;

pub use cli::EXIT_BILLING_DIFFERS;
pub use status::InvoiceStatus;

/// The billing app: routes under `/api/v1/billing`, its tables, permissions and events.
pub fn app() -> App {
    App::new("billing")
        .depends_on(&["users", "customers", "jobs", "audit", "idempotency", "email"])
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS, permission::DEFAULT_GRANTS)
        .with_console(console::SECTION)
        .with_events(event::EMITTED, subscribe)
        .with_jobs(|jobs| jobs.register::<job::RenewSubscriptions>().register::<job::SendReminders>())
        .with_schedules(&[job::RENEWALS_EVERY_FIVE_MINUTES, job::REMINDERS_HOURLY])
        .with_demo(Demo {
            noun: "subscriptions",
            description: "Customers on a monthly demo plan, each due for its first invoice",
            seed: |state, acting, organization_id, count, progress| {
                Box::pin(demo::seed_subscriptions(state, acting, organization_id, count, progress))
            },
        })
        .with_commands(cli::commands)
        // Money-moving requests claim their Idempotency-Key in their own transaction.
        .with_idempotent_in_service(&[
            Route { method: "POST", path: "/billing/payments" },
            Route { method: "POST", path: "/billing/invoices/{id}/credit-notes" },
            Route { method: "POST", path: "/billing/invoices/{id}/apply-credit" },
            Route { method: "POST", path: "/billing/payments/{id}/refunds" },
        ])
}

/// Billing has no handlers of its own yet: its events feed the audit trail and, later,
/// notifications and webhooks.
fn subscribe(bus: EventBus) -> EventBus {
    bus
}
