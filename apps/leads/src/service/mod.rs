//! The leads app's writes. Every function runs in the caller's transaction and records its
//! audit event (and emits its domain events) there.

pub mod activity;
pub mod assignment;
pub mod convert;
pub mod import;
pub mod lead;
pub mod lead_input;
pub mod merge;
pub mod pipeline;
