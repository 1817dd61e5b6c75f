//! Idempotency keys: a client that sends `Idempotency-Key` may retry a write after a lost
//! answer without changing anything twice.
//!
//! Every write goes through the API middleware (`middleware.rs`, rows in
//! `idempotent_requests`). Creates that must be exactly once even across a crash claim in
//! their service instead (rows in `idempotency_keys`): the handler takes the [`IdempotencyKey`] header; the create service, inside its
//! transaction and before inserting, calls [`claim`] with the key, the SHA-256 of the request
//! ([`request_hash`]) and the id it is about to insert. The first request gets
//! [`Claim::New`] and creates; a retry with the same body gets [`Claim::Replay`] with the
//! first request's id, and the handler answers with that record and the same status; the
//! same key with another body is 422 `idempotency_key_reused`. Keys are scoped to
//! (organization, principal, endpoint) and kept for [`RETENTION`]; [`PURGE_DAILY`] deletes
//! older ones.

mod claim;
mod header;
pub mod job;
mod middleware;
mod migration;
// Entity fields mirror the columns created in `migration.rs`.
#[allow(missing_docs)]
pub mod model;

use baseops_app::App;

pub use claim::{Claim, RETENTION, claim, purge, request_hash};
pub use header::{IdempotencyKey, MAX_KEY_LEN};
pub use job::{PURGE_DAILY, PurgeIdempotencyKeys};
pub use middleware::{MAX_STORED_BODY, REPLAYED_HEADER};

/// The idempotency app: the `idempotency_keys` table and its daily purge (no routes, no
/// permissions).
pub fn app() -> App {
    App::new("idempotency")
        .depends_on(&["jobs"])
        .with_migrations(migration::migrations)
        .with_api_middleware(&[middleware::layer])
        .with_jobs(|jobs| jobs.register::<PurgeIdempotencyKeys>())
        .with_schedules(&[PURGE_DAILY])
}
