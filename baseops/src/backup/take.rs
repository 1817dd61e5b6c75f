//! Writing a backup: snapshot, describe, archive, rename into place, apply retention.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use baseops_config::Settings;
use baseops_db::sea_orm::{AccessMode, ConnectionTrait, IsolationLevel, Statement, TransactionTrait};
use chrono::Utc;

use super::contents::{self, Checksum, Contents};
use super::manifest::{self, Engine, FORMAT_NAME, FORMAT_VERSION, Manifest};
use super::{BackupArgs, Steps, configured_engine, postgres, retention, sqlite};

const PG_EXPORT_SNAPSHOT: &str = include_str!("../../../database/queries/backup/pg_export_snapshot.sql");

/// `baseops backup`: prints the new file's path on stdout.
pub(super) async fn run(settings: &Settings, args: &BackupArgs) -> anyhow::Result<ExitCode> {
    let steps = Steps::new(args.quiet);
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(&settings.backup.dir));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let engine = configured_engine(settings)?;
    // The work directory sits in the destination, so the finished file is renamed, not copied.
    let work = tempfile::Builder::new()
        .prefix(".baseops-backup-")
        .tempdir_in(&dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let data = work.path().join(engine.data_name());
    let created_at = Utc::now();
    let contents = match engine {
        Engine::Sqlite => sqlite_snapshot(settings, &data, &steps).await?,
        Engine::Postgres => postgres_snapshot(settings, &data, &steps).await?,
    };
    steps.step("hashing the data file");
    let (data_sha256, data_bytes) = manifest::file_sha256(&data)?;
    let manifest = Manifest {
        format: FORMAT_NAME.to_owned(),
        format_version: FORMAT_VERSION,
        baseops_version: env!("CARGO_PKG_VERSION").to_owned(),
        engine,
        created_at,
        data_file: engine.data_name().to_owned(),
        data_bytes,
        data_sha256,
        contents,
    };
    steps.step("writing the archive");
    let partial = work.path().join("backup.tar.partial");
    manifest::write_archive(&partial, &manifest, &data)?;
    let path = dir.join(retention::file_name(created_at, engine));
    std::fs::rename(&partial, &path)
        .with_context(|| format!("cannot move the backup to {}", path.display()))?;
    // The rename itself is durable once the directory is synced.
    if let Ok(directory) = std::fs::File::open(&dir) {
        let _ = directory.sync_all();
    }
    drop(work);
    let rows: u64 = manifest.contents.tables.iter().map(|table| table.rows).sum();
    steps.say(format!(
        "backup written: {} tables, {rows} rows, {} audit chain(s), {} bytes of data",
        manifest.contents.tables.len(),
        manifest.contents.audit_heads.len(),
        manifest.data_bytes
    ));
    let daily = args.keep_daily.unwrap_or(settings.backup.keep_daily);
    let weekly = args.keep_weekly.unwrap_or(settings.backup.keep_weekly);
    apply_retention(&dir, daily, weekly, &path, &steps)?;
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// `VACUUM INTO` a file, then describe the copy: what the manifest records is exactly what the
/// file holds, whatever was written to the live database meanwhile.
async fn sqlite_snapshot(settings: &Settings, data: &Path, steps: &Steps) -> anyhow::Result<Contents> {
    steps.step("copying the SQLite database (VACUUM INTO)");
    let db = baseops_db::connect_existing(&settings.database).await?;
    let copied = sqlite::vacuum_into(db.write(), data).await;
    db.close().await;
    copied?;
    steps.step("counting and checksumming every table");
    let copy = sqlite::open_file(data, false).await?;
    let described = contents::describe(&copy, Checksum::KeyOrderSha256).await;
    let _ = copy.close().await;
    described
}

/// One REPEATABLE READ transaction exports its snapshot to `pg_dump --snapshot` and computes
/// the counts and checksums itself, both at once: dump and manifest see the same rows however
/// many writes commit meanwhile.
async fn postgres_snapshot(settings: &Settings, data: &Path, steps: &Steps) -> anyhow::Result<Contents> {
    let target = postgres::PgTarget::parse(settings.database.url.expose())?;
    let db = baseops_db::connect_existing(&settings.database).await?;
    let txn = db
        .write()
        .begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly))
        .await?;
    let snapshot: String = txn
        .query_one_raw(Statement::from_string(txn.get_database_backend(), PG_EXPORT_SNAPSHOT))
        .await?
        .context("pg_export_snapshot returned no row")?
        .try_get("", "snapshot")?;
    let checksum = Checksum::for_database(&txn).await?;
    steps.step("dumping with pg_dump and checksumming every table from one snapshot");
    let (dumped, described) =
        tokio::join!(postgres::dump(&target, &snapshot, data), contents::describe(&txn, checksum));
    // Read-only: nothing to commit; ending it releases the snapshot.
    let _ = txn.rollback().await;
    db.close().await;
    dumped?;
    described
}

/// Deletes the backups retention no longer keeps, never the one just written.
fn apply_retention(dir: &Path, daily: u32, weekly: u32, keep: &Path, steps: &Steps) -> anyhow::Result<()> {
    let backups = retention::list(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for old in retention::to_delete(&backups, daily, weekly, keep) {
        std::fs::remove_file(&old).with_context(|| format!("cannot delete {}", old.display()))?;
        steps.say(format!("retention: deleted {}", old.display()));
    }
    Ok(())
}
