//! The command line, with clap.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

/// A command failed (bad configuration, unreachable database, failed migration).
pub const EXIT_FAILURE: u8 = baseops_app::EXIT_FAILURE;
/// `check --deploy` found settings that are unsafe in production.
pub const EXIT_UNSAFE_SETTINGS: u8 = 3;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (invalid configuration, database unreachable, migration failed, ...)
  2  wrong usage (unknown command or option)
  3  check --deploy found unsafe production settings
  4  audit verify found a broken audit chain
  5  billing verify found a figure that disagrees with what it is made of
  6  backup verify or restore found data that disagrees with the backup's manifest

Configuration: config/base.toml, config/<BASEOPS_ENV>.toml, .env, then BASEOPS_* variables
(nested keys with __, e.g. BASEOPS_DATABASE__URL). See docs/environment.md.";

/// baseops: the base operations system — one binary for the server and its tools.
#[derive(Debug, Parser)]
#[command(name = "baseops", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (API, docs, health and metrics).
    #[command(after_help = "Examples:
  baseops serve                         # http://127.0.0.1:8000 on ./data/baseops.db
  baseops serve --bind 0.0.0.0:8080     # listen on every interface
  BASEOPS_ENV=prod baseops serve --migrate")]
    Serve {
        /// Address to listen on, overriding server.bind.
        #[arg(long, value_name = "ADDR")]
        bind: Option<SocketAddr>,
        /// Apply pending migrations before serving, even when database.auto_migrate is off.
        #[arg(long)]
        migrate: bool,
        /// Also run a job worker in this process (the single-machine default).
        #[arg(long)]
        with_worker: bool,
    },
    /// Run background jobs until SIGTERM/SIGINT, then finish or give back running ones.
    #[command(after_help = "Examples:
  baseops worker                          # queues and concurrency from [jobs]
  baseops worker --queues email,default --concurrency 8")]
    Worker {
        /// Queues to take jobs from, overriding jobs.queues.
        #[arg(long, value_delimiter = ',')]
        queues: Option<Vec<String>>,
        /// Jobs run at once, overriding jobs.concurrency.
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// Apply pending database migrations, or list them.
    #[command(after_help = "Examples:
  baseops migrate             # apply every pending migration
  baseops migrate --status    # list applied and pending migrations, change nothing")]
    Migrate {
        /// List applied and pending migrations without applying any.
        #[arg(long)]
        status: bool,
    },
    /// Validate the configuration and print it, secrets masked.
    #[command(after_help = "Examples:
  baseops check                          # exit 1 if the configuration is invalid
  BASEOPS_ENV=prod baseops check --deploy  # exit 3 and one line per unsafe setting")]
    Check {
        /// Also fail on settings that are unsafe in production (exit code 3).
        #[arg(long)]
        deploy: bool,
    },
    /// Fill an organization with demo data, fast (multi-row inserts): to try baseops out or
    /// to benchmark it.
    #[command(
        name = "demo-data",
        after_help = "Examples:
  baseops demo-data tasks --org acme --count 10000
  baseops demo-data tasks --org acme --count 1000000   # the benchmark's large organization"
    )]
    DemoData {
        /// What to create.
        app: String,
        /// The organization, by slug or id.
        #[arg(long, value_name = "SLUG")]
        org: String,
        /// How many records, at most 10,000,000.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        count: u64,
    },
    /// Exit 0 when the server answers GET /healthz with 200, else 1 with the reason: the
    /// container image's health check, which needs no curl.
    #[command(after_help = "Examples:
  baseops healthcheck                       # http://<server.bind>/healthz, 0.0.0.0 probed as 127.0.0.1
  baseops healthcheck --url http://127.0.0.1:8080/healthz --timeout 1")]
    Healthcheck {
        /// Probe this http:// URL instead of /healthz on server.bind.
        #[arg(long, value_name = "URL")]
        url: Option<url::Url>,
        /// Seconds the whole exchange may take.
        #[arg(long, value_name = "SECS", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
        timeout: u64,
    },
    /// Inspect and maintain the database: its health, routine upkeep, the schema document.
    #[command(after_help = "Examples:
  baseops db status --json
  baseops db maintain --dry-run
  baseops db schema-doc > docs/database_schema.md")]
    Db {
        /// What to do.
        #[command(subcommand)]
        command: baseops::db::DbCommand,
    },
    /// Write a backup (database snapshot + manifest) to backup.dir and apply retention, or
    /// `verify` one.
    #[command(after_help = "Examples:
  baseops backup                                    # data/backups/baseops-<UTC time>-<engine>.tar
  baseops backup --dir /srv/backups --keep-daily 14 --keep-weekly 8 --quiet   # for cron
  baseops backup verify /srv/backups/baseops-20261206T031700.000Z-postgres.tar
Exit 6 when verify finds the data disagreeing with the manifest. See docs/backup_restore.md.")]
    Backup(baseops::backup::BackupArgs),
    /// Restore a backup into the configured database (empty, or with --force), then check row
    /// counts, checksums and the audit chains against the manifest.
    #[command(after_help = "Examples:
  baseops restore data/backups/baseops-20261206T031700.000Z-sqlite.tar           # into an empty database
  baseops restore --force data/backups/baseops-20261206T031700.000Z-sqlite.tar   # replace one (stop the server first)
Exit 6 when the restored database disagrees with the manifest.")]
    Restore(baseops::backup::RestoreArgs),
    /// Print the OpenAPI document of this build.
    #[command(after_help = "Example:
  baseops openapi > openapi.json")]
    Openapi,
    /// Print the version.
    Version,
}

/// The whole command line of this build: the platform's commands above, the apps'
/// subcommands, and the nouns `demo-data` accepts.
pub fn command(apps: &baseops_app::Apps) -> clap::Command {
    use clap::CommandFactory;
    let nouns: Vec<clap::builder::PossibleValue> = apps
        .demos()
        .iter()
        .map(|demo| clap::builder::PossibleValue::new(demo.noun).help(demo.description))
        .collect();
    let mut command =
        Cli::command().mut_subcommand("demo-data", |demo| demo.mut_arg("app", |arg| arg.value_parser(nouns)));
    for app_command in apps.commands() {
        command = command.subcommand((app_command.definition)());
    }
    command
}
