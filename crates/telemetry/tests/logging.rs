//! The three log files: what each keeps and what it leaves out.
//!
//! One test per binary: the subscriber is global to the process.

use baseops_config::{Sources, load};
use baseops_telemetry::{Console, init_logging};

#[test]
fn app_errors_and_db_logs_each_keep_their_share() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let vars = vec![
        ("BASEOPS_ENV".to_owned(), "test".to_owned()),
        ("BASEOPS_LOG__DIR".to_owned(), logs.display().to_string()),
        ("BASEOPS_LOG__FILES".to_owned(), "true".to_owned()),
        ("BASEOPS_DATABASE__LOG_STATEMENTS".to_owned(), "true".to_owned()),
    ];
    let config_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let settings = load(&Sources { config_dir, dotenv_file: None, vars }).unwrap();

    let guard = init_logging(&settings, Console::Stderr).unwrap();
    tracing::info!(target: "baseops_server", "an-info-line");
    tracing::warn!(target: "baseops_server", cause = "disk full", "a-warning-line");
    tracing::debug!(target: "sqlx::query", summary = "SELECT 1", "a-statement-line");
    tracing::debug!(target: "baseops_server", "a-debug-line");
    drop(guard); // flushes the non-blocking writers

    let read = |name: &str| -> String {
        let mut text = String::new();
        for entry in std::fs::read_dir(&logs).unwrap().flatten() {
            if entry.file_name().to_string_lossy().starts_with(&format!("{name}.log")) {
                text.push_str(&std::fs::read_to_string(entry.path()).unwrap());
            }
        }
        text
    };
    let (app, errors, db) = (read("app"), read("errors"), read("db"));
    assert!(app.contains("an-info-line") && app.contains("a-warning-line"), "app.log: {app}");
    assert!(!app.contains("a-statement-line") && !app.contains("a-debug-line"), "app.log: {app}");
    assert!(errors.contains("a-warning-line") && errors.contains("disk full"), "errors.log: {errors}");
    assert!(!errors.contains("an-info-line"), "errors.log: {errors}");
    assert!(db.contains("a-statement-line") && db.contains("SELECT 1"), "db.log: {db}");
    assert!(!db.contains("an-info-line"), "db.log: {db}");
}
