//! `baseops db status|maintain|schema-doc`, the real binary on a real database: the test
//! kit's (a temporary SQLite file, or a PostgreSQL database when BASEOPS_TEST_DATABASE_URL is
//! set), so the SQLite run of the suite checks SQLite and the PostgreSQL run PostgreSQL. The
//! tests that only mean something on PostgreSQL are skipped (and recorded) on SQLite, and fail
//! instead when BASEOPS_TEST_REQUIRE names `postgres`. Its own test binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use baseops_idempotency::model::idempotency_key;
use baseops_jobs::maintenance::PurgeFinished;
use baseops_jobs::model::job;
use baseops_jobs::queue::state;
use baseops_jobs::{Enqueue, enqueue};
use baseops_test_support::TestApp;
use baseops_test_support::services::{REQUIRE_VAR, skip};
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::Value;
use uuid::Uuid;

/// Jobs the status tests insert, so that `jobs` is the largest table by far.
const JOBS: usize = 500;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// `baseops db ARGS` with a clean environment, on the database at `url`.
fn db(dir: &Path, url: &str, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_baseops"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BASEOPS_CONFIG_DIR", repo("config"))
        .env("BASEOPS_ENV", "test")
        .env("BASEOPS_DATABASE__URL", url)
        .env("BASEOPS_DATABASE__CONNECT_RETRY_SECS", "0")
        .env("BASEOPS_LOG__FILES", "false")
        .current_dir(dir)
        .arg("db")
        .args(args)
        .output()
        .expect("the baseops binary runs");
    (
        output.status.code().expect("exited"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json_of(app: &TestApp, args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = db(dir.path(), app.database().url(), args);
    assert_eq!(code, 0, "db {args:?}: {stderr}");
    serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("db {args:?} is not JSON ({error}): {stdout}"))
}

/// Whether this run is on PostgreSQL; on SQLite records the skip (or fails when required).
fn on_postgres(app: &TestApp) -> bool {
    if app.database().is_postgres() {
        return true;
    }
    let required = std::env::var(REQUIRE_VAR).unwrap_or_default();
    assert!(
        !required.split(',').any(|name| name.trim().eq_ignore_ascii_case("postgres")),
        "{REQUIRE_VAR} requires postgres, but BASEOPS_TEST_DATABASE_URL is not set"
    );
    skip("PostgreSQL only: BASEOPS_TEST_DATABASE_URL is not set");
    false
}

/// Enqueues `count` jobs; returns their ids.
async fn jobs(app: &TestApp, count: usize) -> Vec<Uuid> {
    let txn = app.state().db().write().begin().await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..count {
        ids.push(enqueue(&txn, Enqueue::new(&PurgeFinished).unwrap()).await.unwrap().expect("enqueued"));
    }
    txn.commit().await.unwrap();
    ids
}

/// Marks a job done `days_ago` days ago.
async fn finish(app: &TestApp, id: Uuid, days_ago: i64) {
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(state::DONE))
        .col_expr(job::Column::FinishedAt, Expr::value(Utc::now() - Duration::days(days_ago)))
        .filter(job::Column::Id.eq(id))
        .exec(app.state().db().write())
        .await
        .unwrap();
}

async fn idempotency_key(app: &TestApp, key: &str, hours_ago: i64) {
    idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        organization_id: Set(Uuid::now_v7()),
        principal: Set("user:test".into()),
        endpoint: Set("POST /api/v1/leads".into()),
        key: Set(key.into()),
        request_hash: Set("0".repeat(64)),
        resource_id: Set(Uuid::now_v7()),
        created_at: Set(Utc::now() - Duration::hours(hours_ago)),
    })
    .exec(app.state().db().write())
    .await
    .unwrap();
}

async fn job_exists(app: &TestApp, id: Uuid) -> bool {
    job::Entity::find_by_id(id).one(app.state().db().write()).await.unwrap().is_some()
}

async fn key_exists(app: &TestApp, key: &str) -> bool {
    idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Key.eq(key))
        .one(app.state().db().write())
        .await
        .unwrap()
        .is_some()
}

fn table<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .expect("tables is a list")
        .iter()
        .find(|entry| entry["name"] == name)
        .unwrap_or_else(|| panic!("no table {name} in {}", report["tables"]))
}

#[tokio::test]
async fn status_reports_the_database_and_a_table_with_rows_as_text_and_json() {
    let app = TestApp::new().await;
    jobs(&app, JOBS).await;
    if app.database().is_postgres() {
        // reltuples, the estimate, is set by ANALYZE; a 500-row table is sampled whole.
        app.state().db().write().execute_unprepared("ANALYZE jobs").await.unwrap();
    }
    let report = json_of(&app, &["status", "--json"]);
    let size = report["database_size_bytes"].as_i64().expect("database_size_bytes");
    assert!(size > 100_000, "a migrated database is larger than {size} bytes");
    assert!(report["migrations"]["applied"].as_u64().unwrap() > 20, "{}", report["migrations"]);
    assert_eq!(report["migrations"]["pending"], serde_json::json!([]));
    assert!(report["version"].as_str().is_some_and(|v| v.starts_with(char::is_numeric)), "{report}");
    let jobs = table(&report, "jobs");
    if app.database().is_postgres() {
        assert_eq!(report["engine"], "postgres");
        assert_eq!(jobs["rows_estimate"], JOBS, "{jobs}");
        assert!(jobs["total_bytes"].as_i64().unwrap() > 65_536, "{jobs}");
        assert_eq!(report["tables"][0]["name"], "jobs", "the only table with rows is the largest");
        let connections: i64 =
            report["connections"].as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).sum();
        assert!(connections >= 1, "this status's own connection: {}", report["connections"]);
        assert!(report["max_connections"].as_i64().unwrap() >= connections);
        assert!(report["locks"]["by_mode"].as_array().is_some_and(|modes| !modes.is_empty()), "{report}");
        assert!(report["long_transactions"].is_array() && report["locks"]["waiting"].is_array());
        let ratio = report["cache_hit_ratio"]["database"].as_f64().expect("the database was read");
        assert!((0.0..=1.0).contains(&ratio), "{ratio}");
        let statements = report["slow_statements"]["status"].as_str().unwrap();
        assert!(["installed", "not installed", "not loaded"].contains(&statements), "{statements}");
        assert!(report["indexes"].as_array().unwrap().iter().any(|index| index["table"] == "jobs"));
        assert_eq!(report["replication"]["read_replica"]["configured"], false);
        assert!(report["replication"]["replicas"].is_array());
    } else {
        assert_eq!(report["engine"], "sqlite");
        assert_eq!(jobs["rows"], JOBS, "rows are counted from the pages: {jobs}");
        assert!(jobs["table_bytes"].as_i64().unwrap() > 4096 && jobs["index_bytes"].as_i64().unwrap() > 4096);
        assert_eq!(table(&report, "leads")["rows"], 0);
        assert_eq!(report["quick_check"], "ok");
        assert_eq!(report["journal_mode"], "wal");
        let (pages, page_size) =
            (report["page_count"].as_i64().unwrap(), report["page_size"].as_i64().unwrap());
        assert_eq!(pages * page_size, size);
        assert!(report["freelist_count"].as_i64().is_some_and(|free| free >= 0 && free < pages));
        assert!(report["file_bytes"].as_i64().unwrap() > 0, "{report}");
        assert!(report["wal_bytes"].is_i64() || report["wal_bytes"].is_null());
    }

    let dir = tempfile::tempdir().unwrap();
    let (code, text, stderr) = db(dir.path(), app.database().url(), &["status"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(text.starts_with("engine "), "{text}");
    assert!(text.contains("migrations  ") && text.contains(" applied, 0 pending"), "{text}");
    let line = text.lines().find(|line| line.trim_start().starts_with("jobs ")).expect("a line for jobs");
    assert!(line.split_whitespace().nth(1) == Some(&JOBS.to_string()), "rows of jobs: {line}\n{text}");
    for heading in if app.database().is_postgres() {
        &[
            "Connections to this database by state",
            "Locks by mode",
            "Largest tables",
            "Largest indexes",
            "pg_stat_statements: ",
        ][..]
    } else {
        &["Tables, largest first", "quick_check ok", "pages "][..]
    } {
        assert!(text.contains(heading), "no {heading:?} in\n{text}");
    }
}

#[tokio::test]
async fn status_names_a_session_waiting_for_a_lock_and_the_one_that_blocks_it() {
    let app = TestApp::new().await;
    if !on_postgres(&app) {
        return;
    }
    let url = app.database().url().to_owned();
    let holder = sea_orm::Database::connect(&url).await.unwrap();
    let txn = holder.begin().await.unwrap();
    txn.execute_unprepared("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let pid_row = txn
        .query_one_raw(sea_orm::Statement::from_string(
            txn.get_database_backend(),
            "SELECT pg_backend_pid()::bigint AS pid",
        ))
        .await
        .unwrap()
        .unwrap();
    let holder_pid: i64 = pid_row.try_get("", "pid").unwrap();
    let waiter = tokio::spawn(async move {
        let connection = sea_orm::Database::connect(&url).await.unwrap();
        connection.execute_unprepared("SELECT count(*) FROM jobs").await.map(|_| ())
    });
    // The waiter needs a moment to connect and queue behind the lock.
    let mut report = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        report = json_of(&app, &["status", "--json"]);
        // The size queries give up on the locked table instead of waiting with the others.
        assert!(started.elapsed() < std::time::Duration::from_secs(15), "status waited for the lock");
        if !report["locks"]["waiting"].as_array().unwrap().is_empty() {
            break;
        }
    }
    let waiting = report["locks"]["waiting"].as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert!(report["sizes_unavailable"].as_str().is_some_and(|why| why.contains("locked")), "{report}");
    assert!(report["connections"].as_array().unwrap().iter().any(|c| c["state"] == "idle in transaction"));
    assert_eq!(waiting[0]["blocked_by"], serde_json::json!([holder_pid]), "{waiting:?}");
    assert!(waiting[0]["query"].as_str().unwrap().contains("FROM jobs"), "{waiting:?}");
    txn.rollback().await.unwrap();
    waiter.await.unwrap().expect("the waiter ran once the lock went");
}

#[test]
fn status_of_an_unreachable_database_is_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}", dir.path().join("nothing-here.db").display());
    for url in [missing.as_str(), "postgres://baseops@127.0.0.1:9/baseops"] {
        let (code, stdout, stderr) = db(dir.path(), url, &["status"]);
        assert_eq!(code, 1, "{url}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains("no database at") || stderr.contains("cannot reach the database"),
            "{stderr}"
        );
    }
    assert!(!dir.path().join("nothing-here.db").exists(), "status created a database");
}

#[tokio::test]
async fn maintain_dry_run_changes_nothing_and_maintain_purges_what_is_past_retention() {
    let app = TestApp::new().await;
    let ids = jobs(&app, 3).await;
    let (old, recent, pending) = (ids[0], ids[1], ids[2]);
    // jobs.retention_days is 14 by default; idempotency keys are kept 24 hours.
    finish(&app, old, 30).await;
    finish(&app, recent, 1).await;
    idempotency_key(&app, "expired", 48).await;
    idempotency_key(&app, "fresh", 1).await;

    let report = json_of(&app, &["maintain", "--dry-run", "--json"]);
    assert_eq!(report["dry_run"], true);
    let steps = report["steps"].as_array().unwrap();
    assert!(steps.iter().all(|step| step["status"] == "planned" && step["result"].is_null()), "{report}");
    let names: Vec<&str> = steps.iter().map(|step| step["step"].as_str().unwrap()).collect();
    assert_eq!(&names[..2], ["purge_jobs", "purge_idempotency_keys"], "{names:?}");
    for id in [old, recent, pending] {
        assert!(job_exists(&app, id).await, "a dry run deleted job {id}");
    }
    assert!(key_exists(&app, "expired").await && key_exists(&app, "fresh").await, "a dry run purged a key");

    let dir = tempfile::tempdir().unwrap();
    let (code, text, stderr) = db(dir.path(), app.database().url(), &["maintain", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(text.starts_with("dry run: nothing was changed\nwould run purge done and dead jobs"), "{text}");
    assert!(job_exists(&app, old).await);

    let report = json_of(&app, &["maintain", "--json"]);
    let steps = report["steps"].as_array().unwrap();
    assert!(steps.iter().all(|step| step["status"] == "done"), "{report}");
    assert_eq!(steps[0]["result"]["deleted"], 1, "one job past jobs.retention_days: {report}");
    assert_eq!(steps[1]["result"]["deleted"], 1, "one expired key: {report}");
    assert!(!job_exists(&app, old).await, "the old finished job is still there");
    assert!(job_exists(&app, recent).await && job_exists(&app, pending).await, "a job within retention went");
    assert!(!key_exists(&app, "expired").await && key_exists(&app, "fresh").await);
    let names: Vec<&str> = steps.iter().map(|step| step["step"].as_str().unwrap()).collect();
    if app.database().is_postgres() {
        let vacuumed = steps.iter().filter(|step| step["step"] == "vacuum_analyze").count();
        assert!(vacuumed > 20, "one VACUUM (ANALYZE) per table: {names:?}");
        assert!(steps.iter().any(|step| step["statement"] == "VACUUM (ANALYZE) public.jobs"), "{report}");
        assert!(!names.contains(&"reindex"), "REINDEX only with --reindex");
        assert!(report["bloat"].is_array());
        let reindexed = json_of(&app, &["maintain", "--analyze-only", "--reindex", "--json"]);
        let statements: Vec<&str> = reindexed["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|step| step["statement"].as_str().unwrap())
            .collect();
        assert!(
            statements.contains(&"ANALYZE public.jobs")
                && !statements.iter().any(|s| s.starts_with("VACUUM"))
        );
        assert!(statements.contains(&"REINDEX TABLE CONCURRENTLY public.jobs"), "{statements:?}");
    } else {
        assert_eq!(&names[2..], ["optimize", "analyze", "wal_checkpoint"], "VACUUM only with --vacuum");
        assert_eq!(steps[4]["result"]["busy"], 0, "{report}");
        assert_eq!(steps[4]["result"]["wal_bytes_after"], 0, "TRUNCATE empties the WAL: {report}");
        let vacuumed = json_of(&app, &["maintain", "--vacuum", "--json"]);
        assert!(
            vacuumed["steps"].as_array().unwrap().iter().any(|step| step["step"] == "vacuum"),
            "{vacuumed}"
        );
        let status = json_of(&app, &["status", "--json"]);
        assert_eq!(status["freelist_count"], 0, "VACUUM leaves no free page");
        assert_eq!(status["quick_check"], "ok");
    }
}

#[test]
fn docs_database_schema_md_is_what_schema_doc_prints() {
    let dir = tempfile::tempdir().unwrap();
    // Any database URL: the document comes from a database of its own.
    let url = format!("sqlite://{}", dir.path().join("unused.db").display());
    let (code, generated, stderr) = db(dir.path(), &url, &["schema-doc"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        generated.contains("```mermaid\nerDiagram\n") && generated.contains("\n### jobs\n"),
        "{generated}"
    );
    assert!(generated.contains("    leads }o--|| organizations : \"organization_id\""), "{generated}");
    let (_, again, _) = db(dir.path(), &url, &["schema-doc"]);
    assert_eq!(generated, again, "schema-doc is not deterministic");
    let written = std::fs::read_to_string(repo("docs/database_schema.md")).unwrap_or_default();
    if written != generated {
        let line = written
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| written.lines().count().min(generated.lines().count()) + 1, |index| index + 1);
        panic!(
            "docs/database_schema.md is stale (first difference at line {line}): \
             run `baseops db schema-doc > docs/database_schema.md` (cargo run -p baseops -- db schema-doc > docs/database_schema.md)"
        );
    }
}

/// `GET /metrics` of the server on `port` (loopback may read it), raw over HTTP/1.1.
fn metrics(port: u16) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5))).ok()?;
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.starts_with("HTTP/1.1 200").then_some(answer)
}

/// The value of the first sample of `name` whose labels contain `labels`.
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    text.lines()
        .filter(|line| {
            line.strip_prefix(name).is_some_and(|rest| rest.starts_with([' ', '{'])) && line.contains(labels)
        })
        .find_map(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn serve_publishes_the_database_gauges_on_metrics() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_baseops"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BASEOPS_CONFIG_DIR", repo("config"))
        .env("BASEOPS_ENV", "test")
        .env("BASEOPS_DATABASE__URL", app.database().url())
        .env("BASEOPS_LOG__FILES", "false")
        .current_dir(dir.path())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let text = loop {
        // The last gauge a round sets: the whole round is there.
        let last = if app.database().is_postgres() { "db_lock_waiters" } else { "db_free_bytes" };
        if let Some(text) = metrics(port).filter(|text| text.contains(last)) {
            break text;
        }
        assert!(std::time::Instant::now() < deadline, "no {last} on /metrics within 60 s");
        assert!(server.try_wait().unwrap().is_none(), "serve exited");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    let _ = server.kill();
    let _ = server.wait();
    assert!(sample(&text, "db_size_bytes", "").unwrap() > 0.0, "{text}");
    if app.database().is_postgres() {
        // The server's own pool holds connections to this database: some are counted.
        let counted: f64 = ["active", "idle"]
            .iter()
            .filter_map(|state| sample(&text, "db_connections", &format!("state=\"{state}\"")))
            .sum();
        assert!(counted >= 1.0, "{text}");
        assert!(sample(&text, "db_max_connections", "").unwrap() >= counted, "{text}");
        assert_eq!(sample(&text, "db_lock_waiters", ""), Some(0.0), "{text}");
        assert!(sample(&text, "db_long_transactions", "").is_some(), "{text}");
    } else {
        assert!(sample(&text, "db_free_bytes", "").is_some(), "{text}");
    }
}
