//! Running the real `baseops` binary the way an operator does, but in a fresh temporary
//! working directory with the repository's `config/` and only the environment variables a
//! test sets, so the developer's `.env` and `BASEOPS_*` variables never leak in.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")
}

/// A `baseops` command with a clean environment in `dir`.
pub fn baseops(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baseops"));
    command.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    command.env("BASEOPS_CONFIG_DIR", config_dir()).current_dir(dir);
    command
}

/// A `baseops` command in `dir` on the database at `url`, logging to the console only.
pub fn baseops_on(dir: &Path, url: &str) -> Command {
    let mut command = baseops(dir);
    command.env("BASEOPS_DATABASE__URL", url).env("BASEOPS_LOG__FILES", "false");
    command
}

/// Runs the command to its end: its exit code, standard output and standard error.
pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = command.output().expect("the baseops binary runs");
    let code = status.code().expect("exited, not killed by a signal");
    (code, String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned())
}
