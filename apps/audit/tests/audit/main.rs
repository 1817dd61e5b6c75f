//! The audit trail on a real database (SQLite, or PostgreSQL when
//! `BASEOPS_TEST_DATABASE_URL` is set): recording inside transactions, diffs, the hash chain,
//! verification against the ways an attacker with SQL access would tamper, selectors, and
//! concurrent writers.

mod list;
mod record;
mod support;
mod verify;
