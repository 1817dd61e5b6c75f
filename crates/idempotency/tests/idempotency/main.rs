//! Idempotency keys on SQLite and (with `BASEOPS_TEST_DATABASE_URL`) PostgreSQL: claims made
//! inside a create's transaction, and every write through the platform's middleware.

mod claim;
mod writes;
