//! `baseops backup`, `baseops backup verify FILE` and `baseops restore FILE`: one file per
//! backup with a manifest that lets any later reader prove the data is what was backed up.
//!
//! A backup is a tar archive (`baseops-<UTC time>-<engine>.tar`) of `manifest.json` and the
//! data: a SQLite copy made with `VACUUM INTO`, or a `pg_dump --format=custom` archive taken
//! from the same REPEATABLE READ snapshot the manifest's counts and checksums were computed
//! in. Verifying restores the data into a scratch database and recomputes everything; a
//! restore recomputes it on the restored database. See docs/backup_restore.md.

mod check;
mod contents;
pub mod job;
mod manifest;
mod postgres;
mod retention;
mod sqlite;
mod take;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use baseops_app::Apps;
use baseops_config::{DatabaseKind, Settings, Sources};
use baseops_telemetry::Console;
use clap::{Args, Subcommand};

pub use contents::Contents;
pub use manifest::{Engine, FORMAT_VERSION, Manifest, TableSummary, read_manifest};
pub use retention::{file_name, parse_name};

/// `backup verify` or `restore` found the data disagreeing with its manifest (or the file
/// is not a readable backup).
pub const EXIT_BACKUP_MISMATCH: u8 = 6;

/// `baseops backup`: write a backup, or with a subcommand inspect one.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    /// `verify FILE`; without one, a backup is written.
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// Directory to write to, overriding backup.dir.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Days for which the newest backup of the day is kept, overriding backup.keep_daily.
    #[arg(long, value_name = "N")]
    pub keep_daily: Option<u32>,
    /// ISO weeks for which the newest backup of the week is kept, overriding backup.keep_weekly.
    #[arg(long, value_name = "M")]
    pub keep_weekly: Option<u32>,
    /// No progress on stderr; only the path on stdout (and errors).
    #[arg(long)]
    pub quiet: bool,
}

/// The `baseops backup` subcommands.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Check a backup: the data file's SHA-256, then restore it into a scratch database
    /// (SQLite: a temporary file; PostgreSQL: a temporary database on the configured server,
    /// dropped afterwards) and recompute row counts, checksums and the audit chains.
    #[command(after_help = "Examples:
  baseops backup verify data/backups/baseops-20261206T031700.000Z-sqlite.tar
Exit 0 when everything agrees, 6 with one line per difference when not.")]
    Verify {
        /// The backup file.
        file: PathBuf,
        /// No progress on stderr.
        #[arg(long)]
        quiet: bool,
    },
}

/// `baseops restore FILE [--force]`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file.
    pub file: PathBuf,
    /// Replace a database that holds data (otherwise restore refuses).
    #[arg(long)]
    pub force: bool,
    /// No progress on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `baseops backup …`.
///
/// # Errors
/// Settings that do not load, an unreachable database, a failing tool or file operation.
pub async fn run_backup(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let settings = settings()?;
    match args.command {
        Some(BackupCommand::Verify { file, quiet }) => {
            let steps = Steps::new(quiet);
            check::verify(&settings, &file, &steps).await
        }
        None => take::run(&settings, &args).await,
    }
}

/// Runs `baseops restore FILE`.
///
/// # Errors
/// As [`run_backup`].
pub async fn run_restore(args: RestoreArgs, apps: &Apps) -> anyhow::Result<ExitCode> {
    let settings = settings()?;
    let steps = Steps::new(args.quiet);
    check::restore(&settings, apps, &args, &steps).await
}

/// Settings, with logging on stderr (stdout carries the result).
fn settings() -> anyhow::Result<Settings> {
    let mut settings = baseops_config::load(&Sources::from_process())?;
    // One-shot work: no idle connections kept, and a quick failure when the database is down.
    settings.database.min_connections = 0;
    settings.database.connect_retry_secs = settings.database.connect_retry_secs.min(5);
    // Reading whole tables is meant to take long: no "slow statement" warning per table
    // (a cron job run with --quiet mails whatever reaches stderr).
    settings.database.slow_query_ms = u64::from(u32::MAX);
    std::mem::forget(baseops_telemetry::init_logging(&settings, Console::Stderr)?);
    Ok(settings)
}

/// The engine of the configured database.
fn configured_engine(settings: &Settings) -> anyhow::Result<Engine> {
    match settings.database.kind() {
        Some(DatabaseKind::Sqlite) => Ok(Engine::Sqlite),
        Some(DatabaseKind::Postgres) => Ok(Engine::Postgres),
        None => anyhow::bail!("database.url is neither sqlite: nor postgres:"),
    }
}

/// Progress on stderr: a spinner naming the current step on a terminal, plain step lines
/// otherwise (a cron log), nothing with `--quiet`.
struct Steps {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
}

impl Steps {
    fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self { bar, quiet }
    }

    fn step(&self, message: impl Into<String>) {
        let message = message.into();
        match &self.bar {
            Some(bar) => bar.set_message(message),
            None if !self.quiet => eprintln!("{message}"),
            None => {}
        }
    }

    /// A line that stays (on a terminal, printed above the spinner).
    fn say(&self, message: impl AsRef<str>) {
        match &self.bar {
            Some(bar) => bar.println(message.as_ref()),
            None if !self.quiet => eprintln!("{}", message.as_ref()),
            None => {}
        }
    }
}

impl Drop for Steps {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
