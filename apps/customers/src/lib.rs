//! Customers, minimal: the record a won lead converts into, with the link back to its lead.
//!
//! The billing app takes this crate over (prices, invoices, payments); until then it holds
//! the `customers` table, [`service::customer_create`] for the leads app's conversion, and a
//! read-only API. Other apps reach customers through these functions only.

mod api;
pub mod console;
mod migration;
// Entity fields mirror the columns created in `migration.rs`.
#[allow(missing_docs)]
pub mod model;
pub mod permission;
pub mod selector;
pub mod service;

use baseops_app::App;

pub use selector::{CustomerOut, customer_by_id, customer_names};
pub use service::{NewCustomer, customer_create, customer_relink_lead};

/// The customers app (customers belong to an organization of the users app).
pub fn app() -> App {
    App::new("customers")
        .depends_on(&["users", "audit"])
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS, permission::DEFAULT_GRANTS)
        .with_console(console::SECTION)
}
