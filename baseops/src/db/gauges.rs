//! The cheap figures of `db status` as Prometheus gauges on `/metrics`, read every
//! [`EVERY`] by each `serve` and `worker` process: a scraper alerts on them without running
//! the full report (whose table and index sizes lock and scan, so they stay out of here).

use std::time::Duration;

use baseops_config::DatabaseKind;
use baseops_db::Database;
use baseops_db::sea_orm::DatabaseConnection;

use super::status::sql;
use super::{get, one, rows};

/// How often the gauges are read.
pub const EVERY: Duration = Duration::from_secs(30);
/// A transaction open longer than this counts in `db_long_transactions`.
const LONG_TRANSACTION_SECS: f64 = 60.0;

/// Keeps the database gauges current until the task is aborted.
pub fn publish(db: Database) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        let mut warned = false;
        loop {
            every.tick().await;
            let read = match db.kind() {
                DatabaseKind::Postgres => match postgres(db.write()).await {
                    Ok(()) => replica_lag(&db).await,
                    failed => failed,
                },
                DatabaseKind::Sqlite => sqlite(db.read()).await,
            };
            match read {
                Ok(()) => warned = false,
                // Once per outage: the readiness probe and the request errors say the rest.
                Err(error) if !warned => {
                    warned = true;
                    tracing::warn!(%error, "cannot read the database gauges");
                }
                Err(_) => {}
            }
        }
    })
}

/// Reads every figure first, then sets the gauges: a scrape never sees half a round.
#[allow(clippy::cast_precision_loss)]
async fn postgres(db: &DatabaseConnection) -> anyhow::Result<()> {
    let database = one(db, sql::PG_DATABASE, vec![]).await?;
    let size: i64 = get(&database, "size_bytes")?;
    let mut max_connections = 0;
    // Every state is set each round, to 0 when it has no session now.
    let mut states: Vec<(String, i64)> =
        ["active", "idle", "idle in transaction", "idle in transaction (aborted)"]
            .iter()
            .map(|state| ((*state).to_owned(), 0))
            .collect();
    for row in rows(db, sql::PG_CONNECTIONS, vec![]).await? {
        let (state, count): (String, i64) = (get(&row, "state")?, get(&row, "count")?);
        max_connections = get::<i64>(&row, "max_connections")?;
        match states.iter_mut().find(|(known, _)| *known == state) {
            Some(entry) => entry.1 = count,
            None => states.push((state, count)),
        }
    }
    let long = rows(db, sql::PG_LONG_TRANSACTIONS, vec![LONG_TRANSACTION_SECS.into()]).await?.len();
    let waiting = rows(db, sql::PG_LOCK_WAITERS, vec![]).await?.len();
    let cache = one(db, sql::PG_CACHE_HIT, vec![]).await?;
    let ratio: Option<f64> = get(&cache, "database_ratio")?;

    metrics::gauge!("db_size_bytes").set(size as f64);
    for (state, count) in states {
        metrics::gauge!("db_connections", "state" => state).set(count as f64);
    }
    metrics::gauge!("db_max_connections").set(max_connections as f64);
    metrics::gauge!("db_long_transactions").set(long as f64);
    metrics::gauge!("db_lock_waiters").set(waiting as f64);
    if let Some(ratio) = ratio {
        metrics::gauge!("db_cache_hit_ratio").set(ratio);
    }
    Ok(())
}

/// The replica's replay lag, when selectors read from one (`database.replica_url`).
async fn replica_lag(db: &Database) -> anyhow::Result<()> {
    let replica = one(db.read(), sql::PG_REPLICA_LAG, vec![]).await?;
    if get::<bool>(&replica, "in_recovery")? {
        metrics::gauge!("db_replica_lag_seconds")
            .set(get::<Option<f64>>(&replica, "lag_secs")?.unwrap_or(0.0));
    }
    Ok(())
}

#[allow(clippy::cast_precision_loss)]
async fn sqlite(db: &DatabaseConnection) -> anyhow::Result<()> {
    let pages = one(db, sql::SQLITE_PAGES, vec![]).await?;
    let page_size: i64 = get(&pages, "page_size")?;
    let (used, free): (i64, i64) = (get(&pages, "page_count")?, get(&pages, "freelist_count")?);
    metrics::gauge!("db_size_bytes").set((page_size * used) as f64);
    metrics::gauge!("db_free_bytes").set((page_size * free) as f64);
    Ok(())
}
