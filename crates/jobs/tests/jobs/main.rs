//! The job queue, the worker, domain events and recurring jobs on a real database (SQLite, or
//! PostgreSQL with `BASEOPS_TEST_DATABASE_URL`; the Redis backend with
//! `BASEOPS_TEST_REDIS_URL`): one test binary over the composed build, whose jobs app brings
//! the queue's tables. Tests define their own job types and event handlers and hand them to
//! the workers they run.

mod events;
mod queue;
mod schedule;
