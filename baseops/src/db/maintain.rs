//! `baseops db maintain`: the purges first (so that what they free is vacuumed and counted by
//! the fresh statistics), then VACUUM/ANALYZE or their SQLite counterparts, REINDEX on
//! request, the bloat estimate, and on SQLite a WAL checkpoint last (VACUUM writes through the
//! WAL).

use std::fmt::Write;
use std::process::ExitCode;
use std::time::Instant;

use baseops_config::{DatabaseKind, Settings};
use baseops_db::Database;
use baseops_db::sea_orm::{ConnectionTrait, DatabaseConnection};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{Table, get, human_bytes, one, rows};

/// Tables listed in the bloat estimate, most wasted space first.
const BLOAT_TOP: i64 = 20;
/// From this server version on, `REINDEX TABLE CONCURRENTLY` exists and does not block writes.
const CONCURRENT_REINDEX_VERSION: i32 = 120_000;

mod sql {
    macro_rules! maintenance {
        ($file:literal) => {
            include_str!(concat!("../../../database/queries/maintenance/", $file))
        };
    }
    pub const PG_TABLES: &str = maintenance!("pg_tables.sql");
    pub const PG_BLOAT_ESTIMATE: &str = maintenance!("pg_bloat_estimate.sql");
    pub const PG_SERVER_VERSION: &str = maintenance!("pg_server_version.sql");
    pub const SQLITE_OPTIMIZE: &str = maintenance!("sqlite_optimize.sql");
    pub const SQLITE_ANALYZE: &str = maintenance!("sqlite_analyze.sql");
    pub const SQLITE_VACUUM: &str = maintenance!("sqlite_vacuum.sql");
    pub const SQLITE_WAL_CHECKPOINT: &str = maintenance!("sqlite_wal_checkpoint.sql");
}

/// The options of `db maintain`.
pub(super) struct Options {
    pub dry_run: bool,
    pub analyze_only: bool,
    pub reindex: bool,
    pub vacuum: bool,
    pub json: bool,
}

/// What was done, step by step, for the text and the JSON form.
struct Report {
    dry_run: bool,
    steps: Vec<Value>,
    text: String,
}

impl Report {
    fn record(&mut self, step: &str, target: &str, statement: &str, outcome: Value, started: Instant) {
        let status = if self.dry_run { "planned" } else { "done" };
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let detail = match &outcome {
            Value::Null => String::new(),
            Value::Object(map) => {
                let parts: Vec<String> = map.iter().map(|(key, value)| format!("{key} {value}")).collect();
                format!(" — {}", parts.join(", "))
            }
            other => format!(" — {other}"),
        };
        let verb = if self.dry_run { "would run" } else { "ran" };
        let _ = writeln!(
            self.text,
            "{verb} {}{}{}",
            statement.lines().last().unwrap_or(statement),
            if self.dry_run { String::new() } else { format!(" ({millis} ms)") },
            detail
        );
        self.steps.push(json!({
            "step": step, "target": target, "statement": statement.lines().last().unwrap_or(statement),
            "status": status, "duration_ms": if self.dry_run { Value::Null } else { json!(millis) },
            "result": outcome,
        }));
    }
}

/// Runs (or with `--dry-run` lists) the maintenance of the connected database.
pub(super) async fn run(settings: &Settings, db: &Database, options: Options) -> anyhow::Result<ExitCode> {
    // An option of the other engine is said to be ignored rather than refused: one cron line
    // can then serve installations on either engine.
    let ignored: &[(bool, &str)] = match db.kind() {
        DatabaseKind::Postgres => {
            &[(options.vacuum, "--vacuum (SQLite only; PostgreSQL runs VACUUM unless --analyze-only)")]
        }
        DatabaseKind::Sqlite => &[(options.analyze_only, "--analyze-only"), (options.reindex, "--reindex")],
    };
    for (_, option) in ignored.iter().filter(|(given, _)| *given) {
        eprintln!("note: {option} does not apply to this database and is ignored");
    }
    let mut report = Report { dry_run: options.dry_run, steps: Vec::new(), text: String::new() };
    let write = db.write();
    purge(settings, write, &mut report).await?;
    let (engine, bloat) = match db.kind() {
        DatabaseKind::Postgres => ("postgres", Some(postgres(write, &options, &mut report).await?)),
        DatabaseKind::Sqlite => {
            let wal = baseops_db::sqlite_file(settings.database.url.expose()).map(|file| {
                let mut name = file.into_os_string();
                name.push("-wal");
                std::path::PathBuf::from(name)
            });
            sqlite(write, wal.as_deref(), &options, &mut report).await?;
            ("sqlite", None)
        }
    };
    if options.json {
        let document = json!({
            "engine": engine, "dry_run": options.dry_run, "steps": report.steps,
            "bloat": bloat.as_ref().map(|(entries, _)| entries.clone()),
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        if options.dry_run {
            println!("dry run: nothing was changed");
        }
        print!("{}", report.text);
        if let Some((_, table)) = &bloat {
            let mut out = String::new();
            table.render(&mut out);
            print!("{out}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn stamp(cutoff: DateTime<Utc>) -> String {
    cutoff.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The platform's own purges, the same functions the daily jobs run.
async fn purge(settings: &Settings, db: &DatabaseConnection, report: &mut Report) -> anyhow::Result<()> {
    let days = i64::try_from(settings.jobs.retention_days).unwrap_or(i64::MAX / 86_400_000);
    let cutoff = Utc::now() - chrono::Duration::days(days);
    let statement =
        format!("purge done and dead jobs finished before {} (jobs.retention_days)", stamp(cutoff));
    let started = Instant::now();
    let outcome = if report.dry_run {
        Value::Null
    } else {
        json!({"deleted": baseops_jobs::admin::purge(db, cutoff).await?})
    };
    report.record("purge_jobs", "jobs", &statement, outcome, started);

    let cutoff = Utc::now() - baseops_idempotency::RETENTION;
    let statement = format!("purge idempotency keys and requests created before {}", stamp(cutoff));
    let started = Instant::now();
    let outcome = if report.dry_run {
        Value::Null
    } else {
        json!({"deleted": baseops_idempotency::purge(db, cutoff).await?})
    };
    report.record("purge_idempotency_keys", "idempotency_keys", &statement, outcome, started);
    Ok(())
}

async fn execute(db: &DatabaseConnection, dry_run: bool, statement: &str) -> anyhow::Result<()> {
    if !dry_run {
        use anyhow::Context;
        db.execute_unprepared(statement).await.with_context(|| format!("{statement} failed"))?;
    }
    Ok(())
}

async fn postgres(
    db: &DatabaseConnection,
    options: &Options,
    report: &mut Report,
) -> anyhow::Result<(Vec<Value>, Table)> {
    let version: i32 = get(&one(db, sql::PG_SERVER_VERSION, vec![]).await?, "version_num")?;
    let tables: Vec<(String, String)> = rows(db, sql::PG_TABLES, vec![])
        .await?
        .iter()
        .map(|row| Ok((get(row, "name")?, get(row, "quoted")?)))
        .collect::<anyhow::Result<_>>()?;
    let (step, command) =
        if options.analyze_only { ("analyze", "ANALYZE") } else { ("vacuum_analyze", "VACUUM (ANALYZE)") };
    for (name, quoted) in &tables {
        // `quoted` is PostgreSQL's own quoting of a catalogue name (format %I), not input.
        let statement = format!("{command} {quoted}");
        let started = Instant::now();
        execute(db, options.dry_run, &statement).await?;
        report.record(step, name, &statement, Value::Null, started);
    }
    if options.reindex {
        let concurrently = if version >= CONCURRENT_REINDEX_VERSION { " CONCURRENTLY" } else { "" };
        for (name, quoted) in &tables {
            let statement = format!("REINDEX TABLE{concurrently} {quoted}");
            let started = Instant::now();
            execute(db, options.dry_run, &statement).await?;
            report.record("reindex", name, &statement, Value::Null, started);
        }
    }
    let mut entries = Vec::new();
    let mut table = Table::new(
        "Bloat estimate (tables over 1 MiB; wasted = pages beyond what the live rows need)",
        &["table", ">size", ">wasted", ">wasted %", ">dead rows"],
    );
    for row in rows(db, sql::PG_BLOAT_ESTIMATE, vec![BLOAT_TOP.into()]).await? {
        let (name, bytes, wasted, share, dead): (String, i64, i64, f64, i64) = (
            get(&row, "name")?,
            get(&row, "table_bytes")?,
            get(&row, "wasted_bytes")?,
            get(&row, "wasted_ratio")?,
            get(&row, "dead_rows")?,
        );
        table.row(vec![
            name.clone(),
            human_bytes(bytes),
            human_bytes(wasted),
            format!("{:.1}", share * 100.0),
            dead.to_string(),
        ]);
        entries.push(json!({"name": name, "table_bytes": bytes, "wasted_bytes": wasted,
                            "wasted_ratio": share, "dead_rows": dead}));
    }
    Ok((entries, table))
}

/// The size of the write-ahead log, if there is one.
fn file_size(path: Option<&std::path::Path>) -> Option<u64> {
    path.and_then(|path| std::fs::metadata(path).ok()).map(|meta| meta.len())
}

async fn sqlite(
    db: &DatabaseConnection,
    wal: Option<&std::path::Path>,
    options: &Options,
    report: &mut Report,
) -> anyhow::Result<()> {
    for (step, statement, wanted) in [
        ("optimize", sql::SQLITE_OPTIMIZE, true),
        ("analyze", sql::SQLITE_ANALYZE, true),
        ("vacuum", sql::SQLITE_VACUUM, options.vacuum),
    ] {
        if wanted {
            let started = Instant::now();
            execute(db, options.dry_run, statement).await?;
            report.record(step, "database", statement, Value::Null, started);
        }
    }
    let started = Instant::now();
    let outcome = if options.dry_run {
        Value::Null
    } else {
        let before = file_size(wal);
        let row = one(db, sql::SQLITE_WAL_CHECKPOINT, vec![]).await?;
        // On success TRUNCATE reports zero frames (the log is gone), so the file's size
        // before and after says what the checkpoint did.
        json!({"busy": get::<i64>(&row, "busy")?, "wal_bytes_before": before, "wal_bytes_after": file_size(wal)})
    };
    report.record("wal_checkpoint", "database", sql::SQLITE_WAL_CHECKPOINT, outcome, started);
    Ok(())
}
