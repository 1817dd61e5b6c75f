//! `baseops db status|maintain|schema-doc`: the database seen and kept by an operator.
//!
//! The SQL lives in `database/queries/{monitoring,maintenance,schema}/`, one statement per file
//! with a header saying what it shows and why, embedded at build time so the binary needs no
//! file at run time. Every statement is constant or takes bind parameters; the only names put
//! into SQL text are table names PostgreSQL quoted itself (`format('%I')`) for `VACUUM` and
//! `REINDEX`, which take no parameters.

pub mod gauges;
mod maintain;
mod schema_doc;
mod status;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use baseops_app::Apps;
use baseops_config::{Settings, Sources};
use baseops_db::Database;
use baseops_db::sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, TryGetable, Value};
use baseops_telemetry::Console;
use clap::Subcommand;

/// Longest `db status` and `db maintain` retry an unreachable database (each attempt may also
/// take `database.acquire_timeout_secs`): a probe run by cron should fail within seconds, not
/// wait out the server's start-up window.
const CONNECT_RETRY_SECS: u64 = 5;

/// The `baseops db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Print the database's health: size, connections, long transactions, locks, cache hit
    /// ratio, largest tables and indexes, slowest statements, replication (PostgreSQL); file,
    /// pages, WAL, quick_check and tables (SQLite). Exit 1 when the database is unreachable.
    #[command(after_help = "Examples:
  baseops db status                       # aligned text
  baseops db status --json | jq .tables   # stable keys for scripts and monitoring")]
    Status {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Keep the database in shape: PostgreSQL VACUUM (ANALYZE) of each table, a bloat estimate,
    /// REINDEX on request; SQLite PRAGMA optimize, ANALYZE, a WAL checkpoint, VACUUM on
    /// request; on both, purge finished jobs and expired idempotency keys.
    #[command(after_help = "Examples:
  baseops db maintain --dry-run           # print the steps, change nothing
  baseops db maintain                     # VACUUM (ANALYZE) or optimize + ANALYZE, then the purges
  baseops db maintain --analyze-only      # PostgreSQL: ANALYZE without VACUUM
  baseops db maintain --reindex           # PostgreSQL: also REINDEX (CONCURRENTLY from 12 on)
  baseops db maintain --vacuum            # SQLite: also VACUUM (rewrites the file)
On PostgreSQL run it as the role that owns the tables (the one `migrate` uses).")]
    Maintain {
        /// Print what would be done, do nothing.
        #[arg(long)]
        dry_run: bool,
        /// PostgreSQL: ANALYZE only, no VACUUM.
        #[arg(long)]
        analyze_only: bool,
        /// PostgreSQL: also REINDEX every table (CONCURRENTLY on PostgreSQL 12 and later).
        #[arg(long)]
        reindex: bool,
        /// SQLite: also VACUUM, which rewrites the whole file (needs its size in free disk).
        #[arg(long)]
        vacuum: bool,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print docs/database_schema.md: every table of a fresh SQLite database migrated with
    /// every app of this build — columns, keys, indexes — and a Mermaid diagram.
    #[command(
        name = "schema-doc",
        after_help = "Example:
  baseops db schema-doc > docs/database_schema.md"
    )]
    SchemaDoc,
}

/// Runs a `baseops db` subcommand.
///
/// # Errors
/// Settings that do not load, an unreachable database (exit 1 through `main`), a failed query.
pub async fn run(command: DbCommand, apps: &Apps) -> anyhow::Result<ExitCode> {
    match command {
        DbCommand::SchemaDoc => {
            print!("{}", schema_doc::render(apps).await?);
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Status { json } => {
            let (settings, db) = open().await?;
            let outcome = status::run(&settings, &db, apps, json).await;
            db.close().await;
            outcome
        }
        DbCommand::Maintain { dry_run, analyze_only, reindex, vacuum, json } => {
            let (settings, db) = open().await?;
            let migrator = apps.migrator()?;
            migrator.ensure_current(&db).await.context("db maintain needs the schema migrated")?;
            let options = maintain::Options { dry_run, analyze_only, reindex, vacuum, json };
            let outcome = maintain::run(&settings, &db, options).await;
            db.close().await;
            outcome
        }
    }
}

/// Settings, logging on stderr (stdout is the report), and the existing database.
async fn open() -> anyhow::Result<(Settings, Database)> {
    let mut settings = baseops_config::load(&Sources::from_process())?;
    settings.database.connect_retry_secs = settings.database.connect_retry_secs.min(CONNECT_RETRY_SECS);
    // The pools' own connections are enough; one-shot work needs no idle ones kept.
    settings.database.min_connections = 0;
    std::mem::forget(baseops_telemetry::init_logging(&settings, Console::Stderr)?);
    let db = baseops_db::connect_existing(&settings.database).await?;
    Ok((settings, db))
}

/// A statement of embedded SQL with its bind parameters.
fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(backend, sql, values)
}

/// Every row of an embedded query.
async fn rows(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> anyhow::Result<Vec<QueryResult>> {
    let backend = db.get_database_backend();
    // The header's first line names the query without printing all of it.
    let what = sql.lines().next().unwrap_or(sql).trim_start_matches("-- ");
    db.query_all_raw(statement(backend, sql, values)).await.with_context(|| format!("query failed: {what}"))
}

/// The one row of an embedded query that always returns one.
async fn one(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> anyhow::Result<QueryResult> {
    rows(db, sql, values).await?.into_iter().next().with_context(|| format!("no row from:\n{sql}"))
}

/// A column of a row, by name.
fn get<T: TryGetable>(row: &QueryResult, column: &str) -> anyhow::Result<T> {
    row.try_get::<T>("", column).with_context(|| format!("column {column}"))
}

/// A byte count the way people read it: 1.5 MiB.
fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// A text table: a title, column headers and rows, printed with aligned columns and `(none)`
/// when empty. A header written `>name` is a right-aligned (numeric) column.
struct Table {
    title: String,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(title: impl Into<String>, headers: &[&'static str]) -> Self {
        Self { title: title.into(), headers: headers.to_vec(), rows: Vec::new() }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = writeln!(out, "\n{}", self.title);
        if self.rows.is_empty() {
            out.push_str("  (none)\n");
            return;
        }
        let headers: Vec<(&str, bool)> = self
            .headers
            .iter()
            .map(|header| (header.trim_start_matches('>'), header.starts_with('>')))
            .collect();
        let widths: Vec<usize> = headers
            .iter()
            .enumerate()
            .map(|(column, (name, _))| {
                self.rows
                    .iter()
                    .filter_map(|row| row.get(column).map(|cell| cell.chars().count()))
                    .chain([name.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<&str>, out: &mut String| {
            let mut text = String::from(" ");
            for (column, cell) in cells.iter().enumerate() {
                let width = widths.get(column).copied().unwrap_or(0);
                if headers.get(column).is_some_and(|(_, right)| *right) {
                    let _ = write!(text, " {cell:>width$}");
                } else {
                    let _ = write!(text, " {cell:<width$}");
                }
            }
            let _ = writeln!(out, "{}", text.trim_end());
        };
        line(headers.iter().map(|(name, _)| *name).collect(), out);
        for row in &self.rows {
            line(row.iter().map(String::as_str).collect(), out);
        }
    }
}

/// Seconds as a short duration: 42s, 3m05s, 2h10m.
fn human_secs(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "-".to_owned();
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = Duration::from_secs_f64(seconds).as_secs();
    match whole {
        0..60 => format!("{seconds:.1}s"),
        60..3600 => format!("{}m{:02}s", whole / 60, whole % 60),
        _ => format!("{}h{:02}m", whole / 3600, whole % 3600 / 60),
    }
}
