//! Background jobs: typed jobs ([`Job`]) enqueued with [`enqueue`] inside the transaction of
//! the change that causes them — a job exists exactly when its change committed — and the
//! [`Worker`] that runs them with retries, exponential back-off with jitter, dead-lettering,
//! leases renewed by heartbeat (a crashed worker's jobs run again), and graceful shutdown.
//!
//! The queue is a table on the application database: PostgreSQL claims with
//! `FOR UPDATE SKIP LOCKED` and wakes idle workers with `LISTEN/NOTIFY`; SQLite claims with
//! an atomic `UPDATE … RETURNING`. With `jobs.backend = "redis"` the table stays the record
//! and the outbox, and workers claim from Redis ([`redis`]); both sit behind [`JobQueue`].
//! See `docs/jobs.md` and `docs/decisions/0008-job-queue.md`, `0010-redis-job-backend.md`.

pub mod admin;
pub mod backend;
pub mod events;
pub mod job;
pub mod maintenance;
mod migration;
// Entity fields mirror the columns created in `migration.rs`.
#[allow(missing_docs)]
pub mod model;
pub mod queue;
pub mod redis;
pub mod schedule;
pub mod worker;

pub use backend::{JobQueue, QueueError};
pub use events::{Delivered, Event, EventBus, emit};
pub use job::{Job, JobContext, JobError, Registry};
pub use migration::migrations;
pub use queue::{Enqueue, enqueue, enqueue_many};
pub use schedule::{Recurring, Schedule};
pub use worker::{Worker, WorkerConfig};
