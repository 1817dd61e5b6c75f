//! What a database holds, in a form two databases can be compared by: the applied
//! migrations, each table's row count and content checksum, the audit chains' heads.
//!
//! The same code describes the source when a backup is taken and the copy when it is
//! verified or restored, so any difference is in the data, not in how it was read. How a
//! table's rows become its checksum is the manifest's [`Checksum`]: the one a backup was
//! summed with is the one it is checked with.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use baseops_db::sea_orm::{ConnectionTrait, DbBackend, Statement, StreamTrait, Value};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::manifest::{AuditHead, TableSummary};

mod sql {
    macro_rules! backup {
        ($file:literal) => {
            include_str!(concat!("../../../database/queries/backup/", $file))
        };
    }
    pub const PG_TABLES: &str = backup!("pg_tables.sql");
    pub const PG_TABLE_HASH_SUM: &str = backup!("pg_table_hash_sum.sql");
    pub const PG_SERVER_VERSION: &str = backup!("pg_server_version.sql");
    pub const PG_SNAPSHOT_SETTINGS: &str = backup!("pg_snapshot_settings.sql");
    pub const SQLITE_TABLES: &str = backup!("sqlite_tables.sql");
    pub const SQLITE_COLUMNS: &str = backup!("sqlite_columns.sql");
    pub const MIGRATIONS: &str = backup!("migrations.sql");
    pub const AUDIT_HEADS: &str = backup!("audit_heads.sql");
}

/// The migrations table: not business data, and how "empty" a database is ignores it.
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// How a table's rows become its checksum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// SHA-256 over the rows' texts in primary-key order, one line each, hashed by baseops:
    /// SQLite's, and every format 1 manifest's (which has no `checksum` field).
    #[default]
    KeyOrderSha256,
    /// PostgreSQL 14 and later hash each row with `hash_record_extended` — every column by its
    /// type's own hash function, no text — with seeds 0 and 1, and add up each over the
    /// table; the checksum is SHA-256 over the count and the two sums. The server reads the
    /// table in one sequential scan and sends one row back, so checksumming every table takes
    /// a fraction of what `pg_dump` takes to copy them; a row changed, added or removed
    /// changes a sum, while the rows' order, which is no part of the data, does not.
    RowHashSum,
}

impl Checksum {
    /// The checksum a new backup of `db`'s database records.
    ///
    /// # Errors
    /// A failing query.
    pub async fn for_database(db: &impl ConnectionTrait) -> anyhow::Result<Self> {
        let backend = db.get_database_backend();
        if backend != DbBackend::Postgres {
            return Ok(Self::KeyOrderSha256);
        }
        let row = db
            .query_one_raw(Statement::from_string(backend, sql::PG_SERVER_VERSION))
            .await?
            .context("server_version_num returned no row")?;
        let version: i32 = row.try_get("", "version")?;
        if version < 140_000 {
            bail!("backups need PostgreSQL 14 or newer (hash_record_extended); this server is {version}");
        }
        Ok(Self::RowHashSum)
    }
}

/// What a database holds, as recorded in a manifest and recomputed from a copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    /// How the tables' checksums were computed.
    #[serde(default)]
    pub checksum: Checksum,
    /// The applied migrations, by name, sorted: the schema version.
    pub migrations: Vec<String>,
    /// Every table with its row count and checksum, by name.
    pub tables: Vec<TableSummary>,
    /// The audit chains' heads, by chain.
    pub audit_heads: Vec<AuditHead>,
}

/// A table and how its rows are read in a stable order.
struct TableQuery {
    name: String,
    /// The table's name as SQL (quoted).
    quoted: String,
    /// Each row's canonical text as `row`, in primary-key order.
    select: String,
}

/// Describes the database `db` can read, checksumming its tables with `checksum`. On
/// PostgreSQL call it inside the snapshot's transaction, so every table is read as of one
/// moment.
///
/// # Errors
/// A failing query, or a checksum the engine cannot compute.
pub async fn describe<C>(db: &C, checksum: Checksum) -> anyhow::Result<Contents>
where
    C: ConnectionTrait + StreamTrait,
{
    let backend = ConnectionTrait::get_database_backend(db);
    if backend == DbBackend::Postgres {
        // Transaction-local (`set_config(…, true)`): nothing leaks into a pooled connection.
        db.query_one_raw(Statement::from_string(backend, sql::PG_SNAPSHOT_SETTINGS)).await?;
    } else if checksum != Checksum::KeyOrderSha256 {
        bail!("a {checksum:?} checksum is computed by PostgreSQL; this is a SQLite database");
    }
    let mut tables = Vec::new();
    for query in table_queries(db).await? {
        tables.push(match checksum {
            Checksum::KeyOrderSha256 => summarize(db, query).await?,
            Checksum::RowHashSum => sum_in_postgres(db, query).await?,
        });
    }
    let migrations =
        strings(db, sql::MIGRATIONS, "version").await.context("reading the applied migrations")?;
    let heads = db
        .query_all_raw(Statement::from_string(backend, sql::AUDIT_HEADS))
        .await
        .context("reading the audit chains' heads")?;
    let audit_heads = heads
        .iter()
        .map(|row| {
            Ok(AuditHead {
                chain: row.try_get("", "chain")?,
                seq: row.try_get("", "seq")?,
                hash: row.try_get("", "hash")?,
            })
        })
        .collect::<Result<_, baseops_db::sea_orm::DbErr>>()?;
    Ok(Contents { checksum, migrations, tables, audit_heads })
}

/// Each table's row count, without the migrations table: how much data a database holds.
///
/// # Errors
/// A failing query.
pub async fn row_counts(db: &impl ConnectionTrait) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut counts = BTreeMap::new();
    for query in table_queries(db).await? {
        if query.name == MIGRATIONS_TABLE {
            continue;
        }
        let count = format!("SELECT count(*) AS n FROM {}", query.quoted);
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), count))
            .await?
            .context("count(*) returned no row")?;
        counts.insert(query.name, u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0));
    }
    Ok(counts)
}

async fn table_queries(db: &impl ConnectionTrait) -> anyhow::Result<Vec<TableQuery>> {
    let backend = db.get_database_backend();
    let mut queries = Vec::new();
    if backend == DbBackend::Postgres {
        let rows = db.query_all_raw(Statement::from_string(backend, sql::PG_TABLES)).await?;
        for row in rows {
            let name: String = row.try_get("", "name")?;
            let quoted: String = row.try_get("", "quoted")?;
            let keys: String = row.try_get("", "key_columns")?;
            let order = if keys.is_empty() { "1".to_owned() } else { keys };
            let select = format!("SELECT t::text AS row FROM {quoted} AS t ORDER BY {order}");
            queries.push(TableQuery { name, quoted, select });
        }
    } else {
        for name in strings(db, sql::SQLITE_TABLES, "name").await? {
            let statement =
                Statement::from_sql_and_values(backend, sql::SQLITE_COLUMNS, [Value::from(name.clone())]);
            let mut columns: Vec<(String, i64)> = Vec::new();
            for row in db.query_all_raw(statement).await? {
                columns.push((row.try_get("", "name")?, row.try_get("", "pk")?));
            }
            let row = columns
                .iter()
                .map(|(column, _)| format!("quote({})", sqlite_quote(column)))
                .collect::<Vec<_>>()
                .join(" || ',' || ");
            let mut keys: Vec<&(String, i64)> = columns.iter().filter(|(_, pk)| *pk > 0).collect();
            keys.sort_by_key(|(_, pk)| *pk);
            let order = if keys.is_empty() {
                "1".to_owned()
            } else {
                keys.iter().map(|(column, _)| sqlite_quote(column)).collect::<Vec<_>>().join(", ")
            };
            let quoted = sqlite_quote(&name);
            let select = format!("SELECT {row} AS row FROM {quoted} ORDER BY {order}");
            queries.push(TableQuery { name, quoted, select });
        }
    }
    Ok(queries)
}

/// Reads one table's rows in key order as a stream (a large table is never held in memory).
async fn summarize<C>(db: &C, query: TableQuery) -> anyhow::Result<TableSummary>
where
    C: ConnectionTrait + StreamTrait,
{
    let statement = Statement::from_string(ConnectionTrait::get_database_backend(db), query.select);
    let stream = db.stream_raw(statement).await.with_context(|| format!("reading table {}", query.name))?;
    let mut stream = std::pin::pin!(stream);
    let mut hasher = Sha256::new();
    let mut rows: u64 = 0;
    while let Some(row) = stream.try_next().await.with_context(|| format!("reading table {}", query.name))? {
        // NULL only when every column is NULL on SQLite (quote() writes NULL as text).
        let text: Option<String> = row.try_get("", "row")?;
        hasher.update(text.unwrap_or_default().as_bytes());
        hasher.update(b"\n");
        rows += 1;
    }
    Ok(TableSummary { name: query.name, rows, sha256: hex::encode(hasher.finalize()) })
}

/// One statement per table: PostgreSQL hashes and adds up the rows, baseops hashes the sums.
async fn sum_in_postgres(db: &impl ConnectionTrait, query: TableQuery) -> anyhow::Result<TableSummary> {
    let select = sql::PG_TABLE_HASH_SUM.replace("{table}", &query.quoted);
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), select))
        .await
        .with_context(|| format!("checksumming table {}", query.name))?
        .context("a sum returned no row")?;
    let rows: i64 = row.try_get("", "rows")?;
    let high: String = row.try_get("", "high")?;
    let low: String = row.try_get("", "low")?;
    let sha256 = hex::encode(Sha256::digest(format!("{rows} {high} {low}")));
    Ok(TableSummary { name: query.name, rows: u64::try_from(rows).unwrap_or(0), sha256 })
}

async fn strings(db: &impl ConnectionTrait, sql: &str, column: &str) -> anyhow::Result<Vec<String>> {
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    rows.iter().map(|row| Ok(row.try_get::<String>("", column)?)).collect()
}

/// An SQLite identifier, quoted: table names come from the file itself, never from input,
/// but quoting keeps an odd name from breaking the statement.
fn sqlite_quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// What differs between what a manifest records and what a copy holds, one line each; empty
/// when they agree.
pub fn differences(recorded: &Contents, found: &Contents) -> Vec<String> {
    let mut problems = Vec::new();
    if recorded.migrations != found.migrations {
        problems.push(format!(
            "schema version: the manifest records {} applied migrations (last {}), the data holds {} (last {})",
            recorded.migrations.len(),
            recorded.migrations.last().map_or("none", String::as_str),
            found.migrations.len(),
            found.migrations.last().map_or("none", String::as_str),
        ));
    }
    for table in &recorded.tables {
        match found.tables.iter().find(|other| other.name == table.name) {
            None => problems.push(format!("table {}: in the manifest, missing from the data", table.name)),
            Some(other) if other.rows != table.rows => problems.push(format!(
                "table {}: the manifest records {} rows, the data holds {}",
                table.name, table.rows, other.rows
            )),
            Some(other) if other.sha256 != table.sha256 => problems.push(format!(
                "table {}: content checksum differs (manifest {}, data {})",
                table.name, table.sha256, other.sha256
            )),
            Some(_) => {}
        }
    }
    for table in &found.tables {
        if !recorded.tables.iter().any(|other| other.name == table.name) {
            problems.push(format!("table {}: in the data, not in the manifest", table.name));
        }
    }
    if recorded.audit_heads != found.audit_heads {
        problems.push(format!(
            "audit chain heads: the manifest records {} chain(s), the data's audit_chains table differs",
            recorded.audit_heads.len()
        ));
    }
    problems
}

/// Walks the audit chains of a restored copy (`baseops audit verify`) and checks that every
/// head the manifest recorded was reached; the problems found, one line each.
///
/// # Errors
/// A failing query.
pub async fn audit_problems(
    db: &impl ConnectionTrait,
    recorded: &[AuditHead],
) -> anyhow::Result<Vec<String>> {
    let report = baseops_audit::verify(db, None).await.context("walking the audit chains")?;
    let mut problems: Vec<String> = report
        .problems
        .iter()
        .map(|problem| format!("audit chain {}: {:?}", problem.chain, problem.kind))
        .collect();
    for head in recorded {
        let reached = report
            .heads
            .iter()
            .any(|found| found.chain == head.chain && found.seq == head.seq && found.hash == head.hash);
        if !reached && !report.problems.iter().any(|problem| problem.chain == head.chain) {
            problems.push(format!(
                "audit chain {}: the verified head is not the recorded one (seq {})",
                head.chain, head.seq
            ));
        }
    }
    Ok(problems)
}
