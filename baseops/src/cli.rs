//! The command line, with clap.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

/// A command failed (bad configuration, unreachable database, failed migration).
pub const EXIT_FAILURE: u8 = 1;
/// `check --deploy` found settings that are unsafe in production.
pub const EXIT_UNSAFE_SETTINGS: u8 = 3;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (invalid configuration, database unreachable, migration failed, ...)
  2  wrong usage (unknown command or option)
  3  check --deploy found unsafe production settings

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
    /// Print the OpenAPI document of this build.
    #[command(after_help = "Example:
  baseops openapi > openapi.json")]
    Openapi,
    /// Print the version.
    Version,
}
