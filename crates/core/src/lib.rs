//! What every baseops app shares, and nothing more: the [`ApiError`] type that becomes an
//! RFC 9457 problem, the [`RequestContext`] handlers pass to services, the [`AppState`]
//! handlers reach the database through, and the [`App`] descriptor an app registers with.
//!
//! This crate sits under every app; a change here rebuilds them all, so it stays small.

mod actor;
mod app;
mod auth;
mod context;
mod error;
mod extract;
mod link;
mod state;
mod version;

pub use actor::{Acting, Actor, Origin};
pub use app::{App, LargeBody};
pub use auth::{Authenticator, Grants, PermissionDef, Principal, Scope};
pub use context::{ClientIp, RequestContext, RequestId};
pub use error::{ApiError, FieldErrors, PROBLEM_CONTENT_TYPE, Problem};
pub use extract::Json;
pub use link::{LinkChange, LinkEvent, LinkSource, LinkTarget, Links};
pub use state::AppState;
pub use version::{ETag, IfMatch};
