//! What an app adds to the `baseops` binary: subcommands, and the records
//! `baseops demo-data <app>` creates.

use baseops_core::{Acting, AppState};
use baseops_db::sea_orm::DbErr;
use futures_util::future::BoxFuture;
use uuid::Uuid;

use crate::{Apps, BoxError};

/// The command succeeded.
pub const EXIT_SUCCESS: u8 = 0;
/// The command failed (bad input, a database error); the binary prints the error.
pub const EXIT_FAILURE: u8 = 1;

/// A subcommand of `baseops` that an app brings (`baseops leads import`, `baseops audit
/// verify`). It runs on a migrated database, with the composed application state.
#[derive(Clone, Copy, Debug)]
pub struct Command {
    /// Its clap definition: name, help, arguments and examples.
    pub definition: fn() -> clap::Command,
    /// Runs it; returns the process's exit code (see [`EXIT_SUCCESS`]; codes 2 and 3 are the
    /// binary's own: wrong usage and unsafe settings).
    pub run: fn(CommandContext) -> BoxFuture<'static, Result<u8, BoxError>>,
}

impl Command {
    /// The subcommand's name.
    pub fn name(&self) -> String {
        (self.definition)().get_name().to_owned()
    }
}

/// What a command is given.
#[derive(Debug)]
pub struct CommandContext {
    /// Its parsed arguments (those of the subcommand itself).
    pub matches: clap::ArgMatches,
    /// The application state: settings, pools and every app's services.
    pub state: AppState,
    /// The composed apps.
    pub apps: Apps,
}

/// Reports how many records a demo seeding created so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Send + Sync);

/// Creates `count` records in an organization as someone, calling back with progress;
/// returns how many it created.
pub type Seed =
    for<'a> fn(&'a AppState, Acting<'a>, Uuid, u64, Progress<'a>) -> BoxFuture<'a, Result<u64, DbErr>>;

/// What `baseops demo-data <noun> --org <slug> --count N` creates for an app: many records,
/// fast (multi-row inserts), to try baseops out or to benchmark it.
#[derive(Clone, Copy, Debug)]
pub struct Demo {
    /// What it creates, plural, also the argument that picks it (`leads`).
    pub noun: &'static str,
    /// One line for `--help`.
    pub description: &'static str,
    /// Creates the records (on the state's write pool).
    pub seed: Seed,
}
