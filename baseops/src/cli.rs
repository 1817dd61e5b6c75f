//! The command line, with clap.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

/// A command failed (bad configuration, unreachable database, failed migration).
pub const EXIT_FAILURE: u8 = 1;
/// `check --deploy` found settings that are unsafe in production.
pub const EXIT_UNSAFE_SETTINGS: u8 = 3;
/// `audit verify` found an altered, inserted or deleted audit event.
pub const EXIT_AUDIT_BROKEN: u8 = 4;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (invalid configuration, database unreachable, migration failed, ...)
  2  wrong usage (unknown command or option)
  3  check --deploy found unsafe production settings
  4  audit verify found a broken audit chain

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
    /// Inspect and operate the job queue.
    #[command(subcommand)]
    Jobs(JobsCommand),
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
    /// Create a superuser (and, with --organization, an organization they own).
    #[command(after_help = "Examples:
  baseops createsuperuser                                   # asks for everything
  baseops createsuperuser --email ops@example.com --organization \"Acme\"
  printf '%s' \"$PW\" | baseops createsuperuser --email ops@example.com --password-stdin
  ADMIN_PW=... baseops createsuperuser --email ops@example.com --password-env ADMIN_PW")]
    Createsuperuser {
        /// E-mail address; asked for when absent.
        #[arg(long)]
        email: Option<String>,
        /// Display name; the part of the e-mail before @ when absent.
        #[arg(long)]
        name: Option<String>,
        /// Also create an organization with this name, owned by the new superuser.
        #[arg(long, value_name = "NAME")]
        organization: Option<String>,
        /// Read the password from standard input (one line) instead of asking.
        #[arg(long, conflicts_with = "password_env")]
        password_stdin: bool,
        /// Read the password from this environment variable instead of asking.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Create the default roles an organization lacks; edited roles are left alone.
    #[command(
        name = "seed-roles",
        after_help = "Example:
  baseops seed-roles    # after an upgrade that added default roles or permissions"
    )]
    SeedRoles,
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
        #[arg(value_enum)]
        app: DemoApp,
        /// The organization, by slug or id.
        #[arg(long, value_name = "SLUG")]
        org: String,
        /// How many records, at most 10,000,000.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        count: u64,
    },
    /// Lead tools: CSV import with a progress bar.
    #[command(subcommand)]
    Leads(LeadsCommand),
    /// Audit trail tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the OpenAPI document of this build.
    #[command(after_help = "Example:
  baseops openapi > openapi.json")]
    Openapi,
    /// Print the version.
    Version,
}

/// The apps `demo-data` can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoApp {
    /// Tasks in every stage, some assigned and labelled, due dates around now.
    Tasks,
    /// Leads over the default pipeline's stages, owned by the members in turn, some with a
    /// value, tags and a UTM campaign.
    Leads,
}

/// `baseops leads …`.
#[derive(Debug, Subcommand)]
pub enum LeadsCommand {
    /// Import leads from a CSV file: validate every row, print the report, then write the
    /// valid rows in batches with a progress bar.
    #[command(after_help = "Examples:
  baseops leads import contacts.csv --org acme
  baseops leads import contacts.csv --org acme --map \"E-Mail=email,Firma=company\" --on-duplicate update
  baseops leads import contacts.csv --org acme --dry-run        # the report only

Fields: first_name, last_name, full_name, email, phone, company, title, website, address,
source, tags, value, currency, score, utm_source, utm_medium, utm_campaign, utm_term,
utm_content, notes, owner_email, ignore. Unmapped headers are suggested from their names.")]
    Import {
        /// The CSV file (UTF-8 or Latin-1; `,` `;` tab or `|` separated).
        file: std::path::PathBuf,
        /// The organization, by slug or id.
        #[arg(long, value_name = "SLUG")]
        org: String,
        /// Column mapping, `Header=field,...`; headers not named are suggested.
        #[arg(long, value_name = "PAIRS")]
        map: Option<String>,
        /// What to do with rows matching a lead (or an earlier row) by e-mail or phone.
        #[arg(long, value_parser = ["skip", "update", "create"], default_value = "skip")]
        on_duplicate: String,
        /// The separator (one character); detected when absent.
        #[arg(long)]
        delimiter: Option<char>,
        /// Validate and print the report, import nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `baseops jobs …`.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first.
    #[command(after_help = "Examples:
  baseops jobs list
  baseops jobs list --state dead --limit 100")]
    List {
        /// Only jobs in this state: pending, queued (in Redis), running, done or dead.
        #[arg(long, value_parser = ["pending", "queued", "running", "done", "dead"])]
        state: Option<String>,
        /// How many, at most 500.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=500))]
        limit: u64,
    },
    /// Put dead jobs back in the queue with fresh attempts.
    #[command(after_help = "Examples:
  baseops jobs retry 0190f1c2-…
  baseops jobs retry --all-dead")]
    Retry {
        /// The dead job to retry.
        #[arg(required_unless_present = "all_dead", conflicts_with = "all_dead")]
        id: Option<uuid::Uuid>,
        /// Retry every dead job.
        #[arg(long)]
        all_dead: bool,
    },
    /// Delete done and dead jobs that finished before a cutoff.
    #[command(after_help = "Examples:
  baseops jobs purge                    # older than jobs.retention_days
  baseops jobs purge --older-than 7d    # units: s, m, h, d")]
    Purge {
        /// Age, like 12h or 7d.
        #[arg(long, value_parser = parse_age)]
        older_than: Option<std::time::Duration>,
    },
    /// List the recurring jobs with their effective cron expression, zone and next run.
    Schedules,
}

fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not an age like 7d or 12h"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" | "" => 86_400,
        _ => return Err(format!("{text:?}: the unit is s, m, h or d")),
    };
    Ok(std::time::Duration::from_secs(number.saturating_mul(seconds)))
}

/// `baseops audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chains and report the first altered, inserted or deleted event of each.
    #[command(after_help = "Examples:
  baseops audit verify                 # every chain; exit 4 when one is broken
  baseops audit verify --org 0190...   # one organization's chain")]
    Verify {
        /// Only this organization's chain (its id), or `platform`.
        #[arg(long, value_name = "ID")]
        org: Option<String>,
    },
}
