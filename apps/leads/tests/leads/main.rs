//! The leads app through its HTTP API, on SQLite (default) or PostgreSQL
//! (`BASEOPS_TEST_DATABASE_URL`): one test binary, one module per story.

mod assignment;
mod bulk;
mod console;
mod console_board;
mod console_duplicates;
mod console_forms;
mod console_import;
mod crud;
mod export;
mod import;
mod merge_convert;
mod palette;
mod pipeline;
mod rbac;
mod support;
mod tasks;
mod versions;
