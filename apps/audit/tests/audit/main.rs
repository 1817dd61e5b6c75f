//! The audit trail on a real database (SQLite, or PostgreSQL when
//! `BASEOPS_TEST_DATABASE_URL` is set): recording inside transactions, diffs, sealing into
//! the hash chain with concurrent writers and sealers, verification against the ways an
//! attacker with SQL access would tamper, selectors, and the upgrade of existing trails.

mod console;
mod export;
mod list;
mod migration;
mod record;
mod seal;
mod support;
mod verify;
