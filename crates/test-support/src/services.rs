//! The outside services a few tests need (Redis, a Python with aiosmtpd, poppler-utils,
//! PostgreSQL), and what a test does when one is missing.
//!
//! A test that returned early and passed would let a run without Redis look like a run with
//! it. So a missing service is either a failure — when `BASEOPS_TEST_REQUIRE` names it
//! (`scripts/run_tests.sh --postgres`, the full variant CI runs, sets
//! `redis,python,poppler`) — or a skip that is recorded: a line in the file
//! `BASEOPS_TEST_SKIP_LOG` names (the test script sets it and lists the skips at the end),
//! and on stderr.

use std::io::Write;

/// The variable naming the services whose absence fails a test instead of skipping it.
pub const REQUIRE_VAR: &str = "BASEOPS_TEST_REQUIRE";
/// The variable naming the file skipped tests are recorded in.
pub const SKIP_LOG_VAR: &str = "BASEOPS_TEST_SKIP_LOG";

/// The test Redis's URL (`BASEOPS_TEST_REDIS_URL`), or `None` after recording the skip.
///
/// # Panics
/// When Redis is required (see the module) and the variable is not set.
#[must_use]
pub fn redis_url() -> Option<String> {
    configured("redis", "BASEOPS_TEST_REDIS_URL", "a Redis server")
}

/// The Python with aiosmtpd (`BASEOPS_TEST_PYTHON`), or `None` after recording the skip.
///
/// # Panics
/// When Python is required (see the module) and the variable is not set.
#[must_use]
pub fn python() -> Option<String> {
    configured("python", "BASEOPS_TEST_PYTHON", "a Python with aiosmtpd")
}

/// The directory holding poppler-utils' `pdftotext`, `pdftoppm` and `pdfinfo`
/// (`BASEOPS_TEST_POPPLER`, else the one on `PATH`), or `None` after recording the skip.
///
/// # Panics
/// When poppler is required (see the module) and `pdftotext` is nowhere to be found.
#[must_use]
pub fn poppler() -> Option<std::path::PathBuf> {
    let configured = std::env::var_os("BASEOPS_TEST_POPPLER").filter(|dir| !dir.is_empty());
    let dirs: Vec<std::path::PathBuf> = match configured {
        Some(dir) => vec![dir.into()],
        None => {
            std::env::var_os("PATH").map(|path| std::env::split_paths(&path).collect()).unwrap_or_default()
        }
    };
    if let Some(dir) = dirs.into_iter().find(|dir| dir.join("pdftotext").is_file()) {
        return Some(dir);
    }
    assert!(
        !required("poppler"),
        "{REQUIRE_VAR} requires poppler, but pdftotext is not in BASEOPS_TEST_POPPLER or on PATH \
         (apt-get install poppler-utils)"
    );
    skip("pdftotext is not installed (poppler-utils), so no PDF text to check");
    None
}

/// Records that the running test was skipped, and why; the caller then returns.
///
/// For a test that only means something on another engine (PostgreSQL's LISTEN/NOTIFY in the
/// SQLite run): that engine's run of the suite runs it.
pub fn skip(reason: &str) {
    let test = std::thread::current().name().unwrap_or("(unnamed test)").to_owned();
    eprintln!("SKIPPED {test}: {reason}");
    if let Some(path) = std::env::var_os(SKIP_LOG_VAR).filter(|path| !path.is_empty()) {
        let line = format!("{test}: {reason}\n");
        // Appends of one short line from parallel test processes do not interleave.
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(error) = written {
            panic!("cannot record the skip in {}: {error}", std::path::Path::new(&path).display());
        }
    }
}

fn configured(service: &str, var: &str, what: &str) -> Option<String> {
    if let Some(value) = std::env::var(var).ok().filter(|value| !value.trim().is_empty()) {
        return Some(value);
    }
    assert!(
        !required(service),
        "{REQUIRE_VAR} requires {service}, but {var} is not set: this test needs {what}"
    );
    skip(&format!("{var} is not set, so no {what}"));
    None
}

fn required(service: &str) -> bool {
    std::env::var(REQUIRE_VAR)
        .unwrap_or_default()
        .split(',')
        .any(|name| name.trim().eq_ignore_ascii_case(service))
}
