//! The jobs app through its HTTP API, on SQLite (default) or PostgreSQL
//! (`BASEOPS_TEST_DATABASE_URL`): who may operate the queue, what the list shows, and that a
//! retried dead job really runs again. One test binary; `baseops jobs retry` runs in the
//! binary's tests (`baseops/tests/baseops/jobs_commands.rs`).

mod access;
mod console;
mod list;
mod retry;
mod support;
