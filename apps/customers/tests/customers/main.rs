//! The customers app through its HTTP API, on SQLite (default) or PostgreSQL
//! (`BASEOPS_TEST_DATABASE_URL`): customers added through the API or converted from won leads
//! in the leads app, as in production. One test binary, one module per story.

mod console;
mod list;
mod paging;
mod profile;
mod rbac;
mod support;
