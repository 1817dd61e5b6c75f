//! Customers: who an organization bills — made through the API or converted from a won lead
//! (with the link back to it) — with their billing profile: legal name, addresses, tax ids,
//! tax treatment, currency, payment terms, billing contacts and locale. The billing app reads
//! them through these functions only.

mod api;
pub mod console;
mod migration;
// Entity fields mirror the columns created in `migration.rs`.
#[allow(missing_docs)]
pub mod model;
pub mod permission;
pub mod profile;
pub mod selector;
pub mod service;
pub mod tax_id;

use baseops_app::App;

pub use profile::{Address, Profile, TaxExempt, TaxId};
pub use selector::{CustomerOut, customer_by_id, customer_names};
pub use service::{
    CustomerIn, NewCustomer, customer_add, customer_create, customer_relink_lead, customer_update,
};
pub use tax_id::TaxIdKind;

/// The customers app (customers belong to an organization of the users app).
pub fn app() -> App {
    App::new("customers")
        .depends_on(&["users", "audit"])
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS, permission::DEFAULT_GRANTS)
        .with_console(console::SECTION)
}
