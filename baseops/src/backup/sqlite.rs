//! SQLite: the copy is made with `VACUUM INTO`, which reads the database in one read
//! transaction (a consistent snapshot while the server keeps writing through the WAL) and
//! writes a compact, self-contained file with no WAL of its own. Restoring replaces the
//! database file, so the server must be stopped first.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use baseops_db::sea_orm::{
    ConnectOptions, ConnectionTrait, Database as Connector, DatabaseConnection, Statement,
};

/// Copies the live database to `target` (which must not exist) with `VACUUM INTO`.
///
/// # Errors
/// The statement fails (disk full, unwritable directory).
pub async fn vacuum_into(db: &DatabaseConnection, target: &Path) -> anyhow::Result<()> {
    let path = target.to_str().context("the backup directory's path is not UTF-8")?;
    // VACUUM INTO takes an expression; a bound parameter keeps the path out of the SQL text.
    let statement = Statement::from_sql_and_values(db.get_database_backend(), "VACUUM INTO ?", [path.into()]);
    db.execute_raw(statement).await.context("VACUUM INTO failed")?;
    Ok(())
}

/// Opens a SQLite file on one connection (read-only unless `write`).
///
/// # Errors
/// The file cannot be opened as a database.
pub async fn open_file(path: &Path, write: bool) -> anyhow::Result<DatabaseConnection> {
    let mode = if write { "rwc" } else { "ro" };
    let url = format!("sqlite://{}?mode={mode}", path.display());
    let mut options = ConnectOptions::new(url);
    options.max_connections(1).min_connections(0).sqlx_logging(false);
    let connection =
        Connector::connect(options).await.with_context(|| format!("cannot open {}", path.display()))?;
    Ok(connection)
}

/// `PRAGMA integrity_check` of a copy: SQLite's own verdict on its pages and indexes.
///
/// # Errors
/// The check cannot run (the file is not a database at all).
pub async fn integrity_problems(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "PRAGMA integrity_check"))
        .await
        .context("PRAGMA integrity_check failed")?;
    let mut problems = Vec::new();
    for row in rows {
        let line: String = row.try_get_by_index(0)?;
        if line != "ok" {
            problems.push(format!("SQLite integrity_check: {line}"));
        }
    }
    Ok(problems)
}

/// The file the configured `sqlite:` URL names.
///
/// # Errors
/// An in-memory database, which has no file to restore into.
pub fn target_file(url: &str) -> anyhow::Result<PathBuf> {
    match baseops_db::sqlite_file(url) {
        Some(path) => Ok(path),
        None => bail!("database.url names no SQLite file to restore into"),
    }
}

/// Puts `copy` in place of `target`: first next to it (same file system, so the final step is
/// an atomic rename), then removes the old WAL and shared-memory files — a WAL left beside the
/// new file would be replayed into it — and renames.
///
/// # Errors
/// A file operation fails; the target is then unchanged unless the rename itself failed.
pub fn replace(copy: &Path, target: &Path) -> anyhow::Result<()> {
    let parent = target.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let staged = tempfile::Builder::new()
        .prefix(".baseops-restore-")
        .tempfile_in(parent)
        .with_context(|| format!("cannot write in {}", parent.display()))?;
    std::fs::copy(copy, staged.path()).context("cannot stage the restored database")?;
    // The replaced file's mode, so the server's user can still open it (a temporary file is 0600).
    if let Ok(old) = std::fs::metadata(target) {
        std::fs::set_permissions(staged.path(), old.permissions())?;
    }
    staged.as_file().sync_all()?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = target.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(side)) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error).context("cannot remove the old database's WAL"),
        }
    }
    staged.persist(target).with_context(|| format!("cannot replace {}", target.display()))?;
    Ok(())
}
