//! The leads app's reads. Selectors are read-only: pass the read pool (a replica when
//! configured). Lists are keyset-paginated and never load more than a page.

pub mod activity;
pub mod board;
pub mod lead;
pub mod pipeline;
pub mod search;

pub use baseops_core::{DEFAULT_LIMIT, MAX_LIMIT, Page};
