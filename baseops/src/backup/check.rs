//! `backup verify` and `restore`: both read the manifest, check the data file's hash, put the
//! data into a database (a scratch one, or the configured one) and recompute what the
//! manifest records there. Any difference is printed, one line each, with exit code 6.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use baseops_app::Apps;
use baseops_config::Settings;
use baseops_db::sea_orm::{AccessMode, DatabaseConnection, IsolationLevel, TransactionTrait};
use baseops_db::sea_orm_migration::MigratorTraitSelf;
use tracing::instrument::WithSubscriber;

use super::contents::{self, Contents};
use super::manifest::{self, Engine, FORMAT_VERSION, Manifest};
use super::{EXIT_BACKUP_MISMATCH, RestoreArgs, Steps, configured_engine, postgres, sqlite};

/// `baseops backup verify FILE`.
pub(super) async fn verify(settings: &Settings, file: &Path, steps: &Steps) -> anyhow::Result<ExitCode> {
    steps.step("reading the manifest");
    let (manifest, work, data) = match open_backup(file) {
        Ok(opened) => opened,
        Err(problem) => return Ok(mismatch(file, &[format!("{problem:#}")], "is not a valid backup")),
    };
    let mut problems = Vec::new();
    if let Some(problem) = data_hash_problem(&manifest, &data)? {
        // The data is not what was backed up: restoring it would prove nothing more.
        return Ok(mismatch(file, &[problem], "failed verification"));
    }
    let found = match manifest.engine {
        Engine::Sqlite => {
            steps.step("checking the SQLite copy");
            let copy = match sqlite::open_file(&data, false).await {
                Ok(copy) => copy,
                Err(error) => return Ok(mismatch(file, &[format!("{error:#}")], "failed verification")),
            };
            let found = check_database(&copy, &manifest, &mut problems).await;
            let _ = copy.close().await;
            match found {
                Ok(found) => found,
                // A copy SQLite can't read through ("malformed") fails verification.
                Err(error) => return Ok(mismatch(file, &[format!("{error:#}")], "failed verification")),
            }
        }
        Engine::Postgres => {
            if configured_engine(settings)? != Engine::Postgres {
                bail!(
                    "verifying a PostgreSQL backup restores it into a scratch database on a PostgreSQL \
                     server: set database.url to one (the role needs CREATEDB)"
                );
            }
            let target = postgres::PgTarget::parse(settings.database.url.expose())?;
            let admin = target.connect_to(&target.database).await?;
            let scratch = postgres::Scratch::create(&admin).await?;
            steps.step(format!("restoring into scratch database {}", scratch.name));
            let outcome = async {
                postgres::restore(&target, &data, &scratch.name, false, true).await?;
                steps.step("recomputing counts, checksums and the audit chains");
                let copy = target.connect_to(&scratch.name).await?;
                let found = check_database(&copy, &manifest, &mut problems).await;
                let _ = copy.close().await;
                found
            }
            .await;
            let dropped = scratch.drop(&admin).await;
            let _ = admin.close().await;
            dropped.context("cannot drop the scratch database")?;
            match outcome {
                Ok(found) => found,
                // A dump pg_restore can't read is a backup that fails verification.
                Err(error) => return Ok(mismatch(file, &[format!("{error:#}")], "failed verification")),
            }
        }
    };
    drop(work);
    problems.extend(contents::differences(&manifest.contents, &found));
    if !problems.is_empty() {
        return Ok(mismatch(file, &problems, "failed verification"));
    }
    println!("{}", summary(file, &manifest, "verified"));
    Ok(ExitCode::SUCCESS)
}

/// `baseops restore FILE [--force]`.
pub(super) async fn restore(
    settings: &Settings,
    apps: &Apps,
    args: &RestoreArgs,
    steps: &Steps,
) -> anyhow::Result<ExitCode> {
    let file = args.file.as_path();
    steps.step("reading the manifest");
    let (manifest, _work, data) = open_backup(file)?;
    let engine = configured_engine(settings)?;
    if manifest.engine != engine {
        bail!(
            "{} is a {} backup; the configured database is {}: restore needs the same engine",
            file.display(),
            manifest.engine.name(),
            engine.name()
        );
    }
    let known: BTreeSet<String> =
        apps.migrator()?.migrations().iter().map(|migration| migration.name().to_owned()).collect();
    let unknown: Vec<&String> =
        manifest.contents.migrations.iter().filter(|name| !known.contains(*name)).collect();
    if let Some(first) = unknown.first() {
        bail!(
            "{} comes from a newer schema ({} migration(s) this binary does not know, first {first}): \
             restore it with the baseops version that wrote it ({})",
            file.display(),
            unknown.len(),
            manifest.baseops_version
        );
    }
    if let Some(problem) = data_hash_problem(&manifest, &data)? {
        return Ok(mismatch(file, &[problem], "was not restored"));
    }
    steps.step("checking that the target database is empty");
    let rows = target_rows(settings, apps, engine).await?;
    if rows > 0 && !args.force {
        bail!(
            "the configured database holds {rows} row(s); restore replaces it. Stop baseops (serve, \
             worker) and run again with --force to overwrite it"
        );
    }
    steps.step(format!("restoring {}", file.display()));
    let mut problems = Vec::new();
    let found = match engine {
        Engine::Sqlite => {
            let path = sqlite::target_file(settings.database.url.expose())?;
            sqlite::replace(&data, &path)?;
            steps.step("recomputing counts, checksums and the audit chains");
            let restored = sqlite::open_file(&path, false).await?;
            let found = check_database(&restored, &manifest, &mut problems).await;
            let _ = restored.close().await;
            found?
        }
        Engine::Postgres => {
            let target = postgres::PgTarget::parse(settings.database.url.expose())?;
            postgres::restore(&target, &data, &target.database, true, false).await?;
            steps.step("recomputing counts, checksums and the audit chains");
            let restored = target.connect_to(&target.database).await?;
            let found = check_database(&restored, &manifest, &mut problems).await;
            let _ = restored.close().await;
            found?
        }
    };
    problems.extend(contents::differences(&manifest.contents, &found));
    if !problems.is_empty() {
        return Ok(mismatch(file, &problems, "was restored, but the database differs from it"));
    }
    println!("{}", summary(file, &manifest, "restored and verified"));
    Ok(ExitCode::SUCCESS)
}

/// The manifest, a work directory and the data file extracted into it.
fn open_backup(file: &Path) -> anyhow::Result<(Manifest, tempfile::TempDir, std::path::PathBuf)> {
    let manifest = manifest::read_manifest(file)?;
    if manifest.format_version > FORMAT_VERSION {
        bail!(
            "{} has manifest format {}; this binary reads up to {FORMAT_VERSION}: use baseops {} or later",
            file.display(),
            manifest.format_version,
            manifest.baseops_version
        );
    }
    if manifest.data_file != manifest.engine.data_name() {
        bail!(
            "the manifest names data file {:?}; a {} backup holds {}",
            manifest.data_file,
            manifest.engine.name(),
            manifest.engine.data_name()
        );
    }
    let work = tempfile::Builder::new()
        .prefix("baseops-verify-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let data = manifest::extract_data(file, &manifest, work.path())?;
    Ok((manifest, work, data))
}

/// A line when the data file is not the one the manifest describes.
fn data_hash_problem(manifest: &Manifest, data: &Path) -> anyhow::Result<Option<String>> {
    let (sha256, bytes) = manifest::file_sha256(data)?;
    Ok((sha256 != manifest.data_sha256 || bytes != manifest.data_bytes).then(|| {
        format!(
            "data file {}: SHA-256 {sha256} ({bytes} bytes), the manifest records {} ({} bytes)",
            manifest.data_file, manifest.data_sha256, manifest.data_bytes
        )
    }))
}

/// Recomputes the contents of a database holding the backup's data, adding what SQLite's
/// integrity check and the audit chain walk find to `problems`.
async fn check_database(
    db: &DatabaseConnection,
    manifest: &Manifest,
    problems: &mut Vec<String>,
) -> anyhow::Result<Contents> {
    if manifest.engine == Engine::Sqlite {
        problems.extend(sqlite::integrity_problems(db).await?);
    }
    // One snapshot, as when the backup was taken (PostgreSQL's text settings are transaction-local).
    let txn = if manifest.engine == Engine::Postgres {
        db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
    } else {
        // SQLite's transactions are serializable already (and sea-orm warns about the options).
        db.begin().await?
    };
    let found = contents::describe(&txn, manifest.contents.checksum).await;
    let audit = contents::audit_problems(&txn, &manifest.contents.audit_heads).await;
    let _ = txn.rollback().await;
    problems.extend(audit?);
    found
}

/// Rows in the configured database beyond what migrating an empty database writes (the rows
/// some migrations seed): 0 for a missing SQLite file, a new database or a freshly migrated one.
async fn target_rows(settings: &Settings, apps: &Apps, engine: Engine) -> anyhow::Result<u64> {
    let counts = match engine {
        Engine::Sqlite => {
            let path = sqlite::target_file(settings.database.url.expose())?;
            if std::fs::metadata(&path).map_or(true, |meta| meta.len() == 0) {
                return Ok(0);
            }
            let db = sqlite::open_file(&path, false).await?;
            let counts = contents::row_counts(&db).await;
            let _ = db.close().await;
            counts?
        }
        Engine::Postgres => {
            let db = baseops_db::connect_existing(&settings.database).await?;
            let counts = contents::row_counts(db.write()).await;
            db.close().await;
            counts?
        }
    };
    if counts.values().all(|rows| *rows == 0) {
        return Ok(0);
    }
    // What the migrations themselves insert, measured on a scratch SQLite file (the seeds are
    // the same rows on both engines): such rows are not data worth protecting.
    let scratch = tempfile::Builder::new().prefix("baseops-fresh-").tempdir()?;
    let mut fresh_settings = settings.database.clone();
    fresh_settings.url =
        baseops_config::Secret::new(format!("sqlite://{}", scratch.path().join("fresh.db").display()));
    // Silently: "applying migration" lines would read as if the target were being migrated.
    apps.migrator()?
        .apply(&fresh_settings)
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await
        .context("cannot migrate a scratch database")?;
    let fresh_db = sqlite::open_file(&scratch.path().join("fresh.db"), false).await?;
    let fresh = contents::row_counts(&fresh_db).await;
    let _ = fresh_db.close().await;
    let fresh = fresh?;
    Ok(counts.iter().map(|(table, rows)| rows.saturating_sub(fresh.get(table).copied().unwrap_or(0))).sum())
}

fn mismatch(file: &Path, problems: &[String], what: &str) -> ExitCode {
    eprintln!("backup {} {what}:", file.display());
    for problem in problems {
        eprintln!("  {problem}");
    }
    ExitCode::from(EXIT_BACKUP_MISMATCH)
}

fn summary(file: &Path, manifest: &Manifest, what: &str) -> String {
    let rows: u64 = manifest.contents.tables.iter().map(|table| table.rows).sum();
    format!(
        "{} {what}: {} engine, {} tables, {rows} rows, {} migrations, {} audit chain(s), taken {}",
        file.display(),
        manifest.engine.name(),
        manifest.contents.tables.len(),
        manifest.contents.migrations.len(),
        manifest.contents.audit_heads.len(),
        manifest.created_at.to_rfc3339()
    )
}
