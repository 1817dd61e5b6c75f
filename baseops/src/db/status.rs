//! `baseops db status`: what an operator looks at first when the database misbehaves.

use std::fmt::Write;
use std::process::ExitCode;

use baseops_app::Apps;
use baseops_config::{DatabaseKind, Settings};
use baseops_db::Database;
use baseops_db::sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use super::{Table, get, human_bytes, human_secs, one, rows};

/// Transactions open longer than this are listed.
const LONG_TRANSACTION_SECS: f64 = 60.0;
/// Tables and indexes listed, largest first.
const TOP: i64 = 20;
/// How long the size queries wait for a table's lock (see [`sized`]).
const SIZE_LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '2s'";
/// Statements listed from pg_stat_statements, slowest first.
const SLOWEST: i64 = 10;

/// The monitoring statements, shared with [`super::gauges`].
pub(super) mod sql {
    macro_rules! monitoring {
        ($file:literal) => {
            include_str!(concat!("../../../database/queries/monitoring/", $file))
        };
    }
    pub const PG_DATABASE: &str = monitoring!("pg_database.sql");
    pub const PG_CONNECTIONS: &str = monitoring!("pg_connections.sql");
    pub const PG_LONG_TRANSACTIONS: &str = monitoring!("pg_long_transactions.sql");
    pub const PG_LOCK_COUNTS: &str = monitoring!("pg_lock_counts.sql");
    pub const PG_LOCK_WAITERS: &str = monitoring!("pg_lock_waiters.sql");
    pub const PG_CACHE_HIT: &str = monitoring!("pg_cache_hit.sql");
    pub const PG_TABLE_SIZES: &str = monitoring!("pg_table_sizes.sql");
    pub const PG_INDEX_SIZES: &str = monitoring!("pg_index_sizes.sql");
    pub const PG_STATEMENTS_INSTALLED: &str = monitoring!("pg_stat_statements_installed.sql");
    pub const PG_SLOW_STATEMENTS: &str = monitoring!("pg_slow_statements.sql");
    pub const PG_REPLICATION: &str = monitoring!("pg_replication.sql");
    pub const PG_REPLICA_LAG: &str = monitoring!("pg_replica_lag.sql");
    pub const SQLITE_PAGES: &str = monitoring!("sqlite_pages.sql");
    pub const SQLITE_QUICK_CHECK: &str = monitoring!("sqlite_quick_check.sql");
    pub const SQLITE_TABLES: &str = monitoring!("sqlite_tables.sql");
}

/// Gathers the report and prints it as text or JSON.
pub(super) async fn run(
    settings: &Settings,
    db: &Database,
    apps: &Apps,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let migrations = apps.migrator()?.status(db).await?;
    let pending: Vec<&str> =
        migrations.iter().filter(|state| !state.applied).map(|state| state.name.as_str()).collect();
    let migrations = json!({"applied": migrations.len() - pending.len(), "pending": pending});
    let (mut report, tables) = match db.kind() {
        DatabaseKind::Postgres => postgres(settings, db).await?,
        DatabaseKind::Sqlite => sqlite(settings, db).await?,
    };
    report["migrations"] = migrations;
    // The summary lines are the text form's; JSON readers have the figures they come from.
    let summary = report.as_object_mut().and_then(|object| object.remove("summary"));
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report, summary.as_ref(), &tables));
    }
    Ok(ExitCode::SUCCESS)
}

/// The header lines of the text form, then the tables.
fn text(report: &Value, summary: Option<&Value>, tables: &[Table]) -> String {
    let mut out = String::new();
    let field = |key: &str| match &report[key] {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    };
    let _ = writeln!(out, "engine      {} {}", field("engine"), field("version"));
    let _ = writeln!(out, "database    {}", field("database"));
    let size = report["database_size_bytes"].as_i64().unwrap_or_default();
    let _ = writeln!(out, "size        {} ({size} bytes)", human_bytes(size));
    let pending = report["migrations"]["pending"].as_array().map_or(0, Vec::len);
    let _ = writeln!(
        out,
        "migrations  {} applied, {pending} pending{}",
        report["migrations"]["applied"],
        if pending > 0 { " (run `baseops migrate`)" } else { "" }
    );
    if let Some(lines) = summary.and_then(Value::as_array) {
        for line in lines.iter().filter_map(Value::as_str) {
            let _ = writeln!(out, "{line}");
        }
    }
    for table in tables {
        table.render(&mut out);
    }
    out
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |ratio| format!("{:.2} %", ratio * 100.0))
}

async fn postgres(settings: &Settings, db: &Database) -> anyhow::Result<(Value, Vec<Table>)> {
    let write = db.write();
    let database = one(write, sql::PG_DATABASE, vec![]).await?;
    let version_num: i32 = get(&database, "version_num")?;
    let mut tables = Vec::new();

    let mut connections = Vec::new();
    let mut table = Table::new("Connections by state", &["state", ">count"]);
    let mut max_connections = 0_i64;
    for row in rows(write, sql::PG_CONNECTIONS, vec![]).await? {
        let (state, count): (String, i64) = (get(&row, "state")?, get(&row, "count")?);
        max_connections = get(&row, "max_connections")?;
        table.row(vec![state.clone(), count.to_string()]);
        connections.push(json!({"state": state, "count": count}));
    }
    let total: i64 = connections.iter().filter_map(|entry| entry["count"].as_i64()).sum();
    table.title =
        format!("Connections to this database by state ({total}; max_connections {max_connections})");
    tables.push(table);

    let mut long = Vec::new();
    let mut table = Table::new(
        format!("Transactions open longer than {LONG_TRANSACTION_SECS:.0} s"),
        &[">pid", "user", "application", "state", ">open", "waiting on", "query"],
    );
    for row in rows(write, sql::PG_LONG_TRANSACTIONS, vec![LONG_TRANSACTION_SECS.into()]).await? {
        let entry = json!({
            "pid": get::<i64>(&row, "pid")?, "user": get::<String>(&row, "username")?,
            "application": get::<String>(&row, "application")?, "state": get::<String>(&row, "state")?,
            "seconds": get::<f64>(&row, "seconds")?, "waiting_on": get::<String>(&row, "waiting_on")?,
            "query": get::<String>(&row, "query")?,
        });
        table.row(cells(&entry, &["pid", "user", "application", "state", "seconds", "waiting_on", "query"]));
        long.push(entry);
    }
    tables.push(table);

    let mut by_mode = Vec::new();
    let mut table = Table::new("Locks by mode", &["mode", "granted", ">count"]);
    for row in rows(write, sql::PG_LOCK_COUNTS, vec![]).await? {
        let entry = json!({"mode": get::<String>(&row, "mode")?, "granted": get::<bool>(&row, "granted")?,
                           "count": get::<i64>(&row, "count")?});
        table.row(cells(&entry, &["mode", "granted", "count"]));
        by_mode.push(entry);
    }
    tables.push(table);
    let mut waiting = Vec::new();
    let mut table =
        Table::new("Sessions waiting for a lock", &[">pid", "blocked by", ">waiting", "waiting on", "query"]);
    for row in rows(write, sql::PG_LOCK_WAITERS, vec![]).await? {
        let blocked_by: Vec<i64> =
            get::<String>(&row, "blocked_by")?.split(',').filter_map(|pid| pid.trim().parse().ok()).collect();
        let entry = json!({
            "pid": get::<i64>(&row, "pid")?, "blocked_by": blocked_by,
            "seconds": get::<Option<f64>>(&row, "seconds")?, "waiting_on": get::<String>(&row, "waiting_on")?,
            "query": get::<String>(&row, "query")?,
        });
        table.row(cells(&entry, &["pid", "blocked_by", "seconds", "waiting_on", "query"]));
        waiting.push(entry);
    }
    tables.push(table);

    let cache = one(write, sql::PG_CACHE_HIT, vec![]).await?;
    let cache_hit = json!({
        "database": get::<Option<f64>>(&cache, "database_ratio")?,
        "tables": get::<Option<f64>>(&cache, "tables_ratio")?,
        "indexes": get::<Option<f64>>(&cache, "indexes_ratio")?,
    });

    let mut sizes = Vec::new();
    let mut table = Table::new(
        format!("Largest tables (top {TOP})"),
        &["table", ">rows (est.)", ">table", ">indexes", ">total", ">dead rows", "last vacuum"],
    );
    let (found, mut sizes_unavailable) = sized(write, sql::PG_TABLE_SIZES).await?;
    for row in found {
        let entry = json!({
            "name": get::<String>(&row, "name")?, "rows_estimate": get::<i64>(&row, "rows_estimate")?,
            "table_bytes": get::<i64>(&row, "table_bytes")?, "index_bytes": get::<i64>(&row, "index_bytes")?,
            "total_bytes": get::<i64>(&row, "total_bytes")?, "dead_rows": get::<i64>(&row, "dead_rows")?,
            "last_vacuum": get::<String>(&row, "last_vacuum")?,
        });
        table.row(cells(
            &entry,
            &[
                "name",
                "rows_estimate",
                "table_bytes",
                "index_bytes",
                "total_bytes",
                "dead_rows",
                "last_vacuum",
            ],
        ));
        sizes.push(entry);
    }
    tables.push(table);
    let mut indexes = Vec::new();
    let mut table =
        Table::new(format!("Largest indexes (top {TOP})"), &["index", "table", ">size", ">scans"]);
    let (found, unavailable) = sized(write, sql::PG_INDEX_SIZES).await?;
    sizes_unavailable = sizes_unavailable.or(unavailable);
    if let Some(reason) = &sizes_unavailable {
        table.title = format!("Largest indexes: {reason}");
        if let Some(tables_table) = tables.last_mut() {
            tables_table.title = format!("Largest tables: {reason}");
        }
    }
    for row in found {
        let entry = json!({
            "name": get::<String>(&row, "name")?, "table": get::<String>(&row, "table_name")?,
            "bytes": get::<i64>(&row, "bytes")?, "scans": get::<i64>(&row, "scans")?,
        });
        table.row(cells(&entry, &["name", "table", "bytes", "scans"]));
        indexes.push(entry);
    }
    tables.push(table);

    let (statements_status, statements) = slow_statements(write, version_num).await?;
    let mut table = Table::new(
        format!("Slowest statements by mean time (pg_stat_statements: {statements_status})"),
        &[">calls", ">mean ms", ">total ms", ">rows", "query"],
    );
    for entry in &statements {
        table.row(cells(entry, &["calls", "mean_ms", "total_ms", "rows", "query"]));
    }
    tables.push(table);

    let mut replicas = Vec::new();
    let mut table =
        Table::new("Streaming replicas of this server", &["name", "client", "state", ">replay lag", ">lag"]);
    for row in rows(write, sql::PG_REPLICATION, vec![]).await? {
        let entry = json!({
            "name": get::<String>(&row, "name")?, "client": get::<String>(&row, "client")?,
            "state": get::<String>(&row, "state")?, "replay_lag_secs": get::<Option<f64>>(&row, "replay_lag_secs")?,
            "lag_bytes": get::<Option<i64>>(&row, "lag_bytes")?,
        });
        table.row(cells(&entry, &["name", "client", "state", "replay_lag_secs", "lag_bytes"]));
        replicas.push(entry);
    }
    tables.push(table);
    let read_replica = if settings.database.replica_url.is_some() {
        let lag = one(db.read(), sql::PG_REPLICA_LAG, vec![]).await?;
        json!({"configured": true, "in_recovery": get::<bool>(&lag, "in_recovery")?,
               "lag_secs": get::<Option<f64>>(&lag, "lag_secs")?})
    } else {
        json!({"configured": false, "in_recovery": null, "lag_secs": null})
    };

    let summary = vec![
        format!(
            "cache hit   database {}, tables {}, indexes {}",
            ratio(cache_hit["database"].as_f64()),
            ratio(cache_hit["tables"].as_f64()),
            ratio(cache_hit["indexes"].as_f64())
        ),
        match (&read_replica["configured"], &read_replica["lag_secs"]) {
            (Value::Bool(true), Value::Number(lag)) => {
                format!(
                    "replica     database.replica_url replays {} behind",
                    human_secs(lag.as_f64().unwrap_or(0.0))
                )
            }
            (Value::Bool(true), _) => "replica     database.replica_url set, no replay seen yet".to_owned(),
            _ => "replica     none configured (database.replica_url)".to_owned(),
        },
    ];
    let report = json!({
        "engine": "postgres",
        "version": get::<String>(&database, "version")?,
        "database": get::<String>(&database, "name")?,
        "database_size_bytes": get::<i64>(&database, "size_bytes")?,
        "is_replica": get::<bool>(&database, "in_recovery")?,
        "connections": connections,
        "max_connections": max_connections,
        "long_transactions": long,
        "locks": {"by_mode": by_mode, "waiting": waiting},
        "cache_hit_ratio": cache_hit,
        "tables": sizes,
        "indexes": indexes,
        "sizes_unavailable": sizes_unavailable,
        "slow_statements": {"status": statements_status, "statements": statements},
        "replication": {"replicas": replicas, "read_replica": read_replica},
        "summary": summary,
    });
    Ok((report, tables))
}

/// The rows of a size query (top [`TOP`]), or why there are none. The size functions take a
/// share lock on each relation: behind a migration's or a stuck session's exclusive lock they
/// would wait, and `db status` with them, exactly when it is needed. So they wait at most
/// [`SIZE_LOCK_TIMEOUT`], in a transaction of their own.
async fn sized(
    db: &DatabaseConnection,
    sql: &str,
) -> anyhow::Result<(Vec<baseops_db::sea_orm::QueryResult>, Option<String>)> {
    use baseops_db::sea_orm::{ConnectionTrait, TransactionTrait};
    let txn = db.begin().await?;
    txn.execute_unprepared(SIZE_LOCK_TIMEOUT).await?;
    match rows(&txn, sql, vec![TOP.into()]).await {
        Ok(found) => {
            txn.commit().await?;
            Ok((found, None))
        }
        Err(error) if format!("{error:#}").contains("lock timeout") => {
            let _ = txn.rollback().await;
            Ok((
                Vec::new(),
                Some("skipped, a table is locked (see the sessions waiting for a lock)".to_owned()),
            ))
        }
        Err(error) => Err(error),
    }
}

/// pg_stat_statements' slowest statements, or why there are none: `installed`,
/// `not installed`, `not loaded` (the extension exists but the library is not in
/// shared_preload_libraries) or `needs PostgreSQL 13`.
async fn slow_statements(
    db: &baseops_db::sea_orm::DatabaseConnection,
    version_num: i32,
) -> anyhow::Result<(&'static str, Vec<Value>)> {
    let installed: bool = get(&one(db, sql::PG_STATEMENTS_INSTALLED, vec![]).await?, "installed")?;
    if !installed {
        return Ok(("not installed", Vec::new()));
    }
    if version_num < 130_000 {
        return Ok(("needs PostgreSQL 13", Vec::new()));
    }
    // The view raises an error when the library was not preloaded: a state to report, not a
    // failure of the whole status.
    let Ok(found) = rows(db, sql::PG_SLOW_STATEMENTS, vec![SLOWEST.into()]).await else {
        return Ok(("not loaded", Vec::new()));
    };
    let mut statements = Vec::new();
    for row in found {
        statements.push(json!({
            "calls": get::<i64>(&row, "calls")?, "mean_ms": get::<f64>(&row, "mean_ms")?,
            "total_ms": get::<f64>(&row, "total_ms")?, "rows": get::<i64>(&row, "rows")?,
            "query": get::<String>(&row, "query")?,
        }));
    }
    Ok(("installed", statements))
}

async fn sqlite(settings: &Settings, db: &Database) -> anyhow::Result<(Value, Vec<Table>)> {
    let read: &DatabaseConnection = db.read();
    let pages = one(read, sql::SQLITE_PAGES, vec![]).await?;
    let (page_size, page_count, freelist): (i64, i64, i64) =
        (get(&pages, "page_size")?, get(&pages, "page_count")?, get(&pages, "freelist_count")?);
    let file = baseops_db::sqlite_file(settings.database.url.expose());
    let file_bytes = |suffix: &str| {
        file.as_ref().and_then(|path| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::metadata(name).ok().and_then(|meta| i64::try_from(meta.len()).ok())
        })
    };
    let problems: Vec<String> = rows(read, sql::SQLITE_QUICK_CHECK, vec![])
        .await?
        .iter()
        .map(|row| get::<String>(row, "result"))
        .collect::<anyhow::Result<_>>()?;
    let quick_check = if problems == ["ok"] { json!("ok") } else { json!(problems) };

    let mut table = Table::new("Tables, largest first", &["table", ">rows", ">table", ">indexes"]);
    let mut sizes = Vec::new();
    for row in rows(read, sql::SQLITE_TABLES, vec![]).await? {
        let entry = json!({
            "name": get::<String>(&row, "name")?, "rows": get::<i64>(&row, "rows")?,
            "table_bytes": get::<i64>(&row, "table_bytes")?, "index_bytes": get::<i64>(&row, "index_bytes")?,
        });
        table.row(cells(&entry, &["name", "rows", "table_bytes", "index_bytes"]));
        sizes.push(entry);
    }
    let (file_size, wal_size) = (file_bytes(""), file_bytes("-wal"));
    let summary = vec![
        format!(
            "file        {} ({}), WAL {} (journal mode {})",
            file.as_ref().map_or_else(|| "-".to_owned(), |path| path.display().to_string()),
            file_size.map_or_else(|| "-".to_owned(), human_bytes),
            wal_size.map_or_else(|| "none".to_owned(), human_bytes),
            get::<String>(&pages, "journal_mode")?
        ),
        format!("pages       {page_count} of {page_size} bytes, {freelist} free"),
        format!("quick_check {}", if problems == ["ok"] { "ok".to_owned() } else { problems.join("; ") }),
    ];
    let report = json!({
        "engine": "sqlite",
        "version": get::<String>(&pages, "version")?,
        "database": file.as_ref().map(|path| path.display().to_string()),
        "database_size_bytes": page_count * page_size,
        "file_bytes": file_size,
        "wal_bytes": wal_size,
        "journal_mode": get::<String>(&pages, "journal_mode")?,
        "page_size": page_size,
        "page_count": page_count,
        "freelist_count": freelist,
        "quick_check": quick_check,
        "tables": sizes,
        "summary": summary,
    });
    Ok((report, vec![table]))
}

/// The text cells of a JSON entry: byte counts (keys ending `bytes`) readable, seconds as
/// durations, lists joined, nulls as `-`.
fn cells(entry: &Value, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .map(|key| {
            let value = &entry[*key];
            match value {
                Value::Null => "-".to_owned(),
                Value::String(text) if text.is_empty() => "-".to_owned(),
                Value::String(text) => text.clone(),
                Value::Number(number) if key.ends_with("bytes") => human_bytes(number.as_i64().unwrap_or(0)),
                Value::Number(number) if key.contains("secs") || *key == "seconds" => {
                    human_secs(number.as_f64().unwrap_or(0.0))
                }
                Value::Number(number) if key.ends_with("_ms") => {
                    format!("{:.1}", number.as_f64().unwrap_or(0.0))
                }
                Value::Array(items) => items.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
                other => other.to_string(),
            }
        })
        .collect()
}
