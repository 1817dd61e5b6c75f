//! The leads app's reads. Selectors are read-only: pass the read pool (a replica when
//! configured). Lists are keyset-paginated and never load more than a page.

pub mod activity;
pub mod board;
pub mod cursor;
pub mod lead;
pub mod pipeline;

use serde::Serialize;
use utoipa::ToSchema;

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page.
pub const MAX_LIMIT: u64 = 200;
