//! PostgreSQL `LISTEN` connections of their own.
//!
//! A listener holds its connection for the life of the process. Taken from the shared pool
//! (`PgListener::connect_with(&pool)`), each would hold one of the pool's connections for
//! good: with the worker's, the live notifications' and the access-change listeners, a pool
//! of five left the workers nothing to claim jobs with, and they waited without an error.
//! So each listener opens its own connection, with the pool's options, outside the pool.

use sea_orm::DatabaseConnection;
use sqlx::postgres::{PgListener, PgPoolOptions};

/// A listener on its own connection to the database `db` is connected to (PostgreSQL).
///
/// # Errors
/// The connection failed.
pub async fn listener(db: &DatabaseConnection) -> Result<PgListener, sqlx::Error> {
    let options = db.get_postgres_connection_pool().connect_options();
    // A pool of one that only this listener draws from: PgListener reconnects through it.
    let own = PgPoolOptions::new().max_connections(1).connect_lazy_with((*options).clone());
    PgListener::connect_with(&own).await
}
