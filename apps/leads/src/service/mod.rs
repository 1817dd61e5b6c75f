//! The leads app's writes. Every function runs in the caller's transaction and records its
//! audit event (and emits its domain events) there. Services take checked values — the
//! handlers parse request bodies first ([`lead_input`] for leads, a `check` method on each
//! other body) — and reach people and organizations only through the users app's
//! directory (`directory.rs`).

pub mod activity;
pub mod assignment;
pub mod convert;
pub(crate) mod directory;
pub mod import;
pub mod lead;
pub mod lead_input;
pub mod merge;
pub mod pipeline;
