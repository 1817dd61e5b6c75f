//! The analytics app through its HTTP API and the console, on SQLite (default) or PostgreSQL
//! (`BASEOPS_TEST_DATABASE_URL`): one test binary, one module per story.

mod aggregate;
mod dashboard;
mod kpis;
mod support;
mod track;
