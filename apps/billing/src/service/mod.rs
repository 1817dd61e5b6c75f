//! Every write of the billing app. Each public function takes the caller's transaction and
//! records its audit entry (and events) in it, so a change and its history commit together.

pub mod catalog;
pub mod credit;
pub mod credit_note;
pub mod draft;
pub mod dunning;
pub(crate) mod ledger;
pub mod lifecycle;
pub(crate) mod line_price;
pub(crate) mod numbering;
pub mod payment;
pub mod refund;
pub mod settings;
pub mod subscription;
pub mod tax_rate;

pub use numbering::format_number;
