//! What every baseops app shares, and nothing more: the [`ApiError`] type that becomes an
//! RFC 9457 problem, the [`RequestContext`] handlers pass to services, the [`AppState`]
//! handlers reach the database through, the permission registry, the building blocks every
//! app's API uses ([`Access`], [`Page`], [`IfMatch`]), the value types several apps hold
//! ([`Email`], [`Money`], [`Currency`]), and the small interfaces apps talk to each other
//! through ([`Links`], [`Authenticator`], [`Directory`]).
//!
//! This crate sits under every app; a change here rebuilds them all, so it stays small.

mod access;
mod actor;
mod auth;
pub mod bulk;
mod context;
mod directory;
mod email;
mod error;
mod extract;
pub mod json_shape;
mod link;
mod money;
mod page;
pub mod patch;
mod permission;
mod state;
pub mod stream;
pub mod text;
pub mod trail;
mod version;

pub use access::Access;
pub use actor::{Acting, Actor, Origin};
pub use auth::{Authenticator, Grants, OrganizationChoice, Principal, Scope, Viewer, cookie};
pub use context::{ClientIp, RequestContext, RequestId};
pub use directory::{
    Directory, MAX_IDS as MAX_DIRECTORY_IDS, OrganizationRef, UserRef, active_members, directory,
};
pub use email::{Email, EmailError};
pub use error::{ApiError, FieldErrors, PROBLEM_CONTENT_TYPE, Problem};
pub use extract::{Json, Query};
pub use link::{LinkChange, LinkEvent, LinkSource, LinkTarget, Links};
pub use money::{Currency, CurrencyError, Money, MoneyError, RoundingMode, divide_rounded};
pub use page::{
    BoundedCount, Cursor, DEFAULT_LIMIT, MAX_CURSOR_LEN, MAX_LIMIT, Page, PageQuery, Paging, invalid_cursor,
    refuse_paging,
};
pub use permission::{DefaultGrant, DefaultRole, PermissionDef, PermissionRegistry, pattern_matches};
pub use state::AppState;
pub use version::{ETag, IfMatch, NO_VERSION, OptionalIfMatch, check_version};
