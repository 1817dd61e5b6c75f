//! `baseops backup`, `backup verify` and `restore`, the real binary on the test kit's database
//! (a temporary SQLite file, or a PostgreSQL database of its own when
//! BASEOPS_TEST_DATABASE_URL is set): the SQLite run of the suite checks SQLite, the
//! PostgreSQL run PostgreSQL. Its own test binary.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use baseops::backup::{Manifest, read_manifest};
use baseops_audit::{AuditEntry, Changes};
use baseops_core::{Actor, Origin};
use baseops_idempotency::model::idempotency_key;
use baseops_jobs::maintenance::PurgeFinished;
use baseops_jobs::model::job;
use baseops_jobs::{Enqueue, enqueue_many};
use baseops_test_support::{TestApp, TestDatabase};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait, TransactionTrait};
use uuid::Uuid;

const JOBS: usize = 2000;
const KEYS: usize = 1000;
const AUDIT_EVENTS: usize = 300;
/// The exit code of a backup whose data disagrees with its manifest.
const EXIT_MISMATCH: i32 = 6;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// The `baseops` command with a clean environment, on the database at `url`, run in `dir`.
fn command(url: &str, dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baseops"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BASEOPS_CONFIG_DIR", repo("config"))
        .env("BASEOPS_ENV", "test")
        .env("BASEOPS_DATABASE__URL", url)
        .env("BASEOPS_DATABASE__CONNECT_RETRY_SECS", "0")
        .env("BASEOPS_LOG__FILES", "false")
        .current_dir(dir);
    command
}

/// `baseops ARGS` on the database at `url`: exit code, stdout, stderr.
fn baseops(url: &str, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = command(url, dir.path()).args(args).output().expect("the baseops binary runs");
    (
        output.status.code().expect("exited"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Takes a backup into `dir`; returns its path.
fn backup(url: &str, dir: &Path) -> PathBuf {
    let (code, stdout, stderr) = baseops(url, &["backup", "--quiet", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "backup: {stderr}");
    assert!(stderr.trim().is_empty(), "--quiet prints nothing but errors: {stderr}");
    let path = PathBuf::from(stdout.trim());
    assert!(path.starts_with(dir) && path.exists(), "{stdout}");
    path
}

fn verify(url: &str, file: &Path) -> (i32, String) {
    let (code, _, stderr) = baseops(url, &["backup", "verify", "--quiet", file.to_str().unwrap()]);
    (code, stderr)
}

/// Jobs, idempotency keys and sealed audit events in several chains.
async fn seed(app: &TestApp) {
    enqueue_jobs(app, JOBS).await;
    let keys = (0..KEYS).map(|n| idempotency_key::ActiveModel {
        organization_id: Set(Uuid::now_v7()),
        principal: Set("user:test".into()),
        endpoint: Set("POST /api/v1/leads".into()),
        key: Set(format!("key-{n}")),
        request_hash: Set("0".repeat(64)),
        resource_id: Set(Uuid::now_v7()),
        created_at: Set(Utc::now()),
    });
    let txn = app.state().db().write().begin().await.unwrap();
    for chunk in keys.collect::<Vec<_>>().chunks(100) {
        idempotency_key::Entity::insert_many(chunk.to_vec()).exec(&txn).await.unwrap();
    }
    let actor = Actor::System { name: "backup-test".into() };
    let origin = Origin::internal();
    let organizations = [Some(Uuid::now_v7()), Some(Uuid::now_v7()), None];
    for n in 0..AUDIT_EVENTS {
        let entry = AuditEntry {
            organization_id: organizations[n % organizations.len()],
            actor: &actor,
            origin: &origin,
            action: "lead.update",
            entity_type: "lead",
            entity_id: n.to_string(),
            changes: Changes::new().set("status", "open", format!("won {n}")),
        };
        baseops_audit::record(&txn, entry).await.unwrap();
    }
    txn.commit().await.unwrap();
    baseops_audit::seal_pending(app.state().db().write()).await.unwrap();
}

async fn enqueue_jobs(app: &TestApp, count: usize) {
    let txn = app.state().db().write().begin().await.unwrap();
    let jobs: Vec<Enqueue> = (0..count).map(|_| Enqueue::new(&PurgeFinished).unwrap()).collect();
    for chunk in jobs.chunks(1000) {
        enqueue_many(&txn, chunk.to_vec()).await.unwrap();
    }
    txn.commit().await.unwrap();
}

async fn job_count(app: &TestApp) -> u64 {
    job::Entity::find().count(app.state().db().write()).await.unwrap()
}

fn rows(manifest: &Manifest, table: &str) -> u64 {
    manifest.contents.tables.iter().find(|entry| entry.name == table).map_or(0, |entry| entry.rows)
}

/// Rewrites the archive with the manifest changed by `edit` (the data untouched).
fn edit_manifest(file: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let mut archive = tar::Archive::new(std::fs::File::open(file).unwrap());
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        entries.push((name, bytes));
    }
    let mut manifest: serde_json::Value = serde_json::from_slice(&entries[0].1).unwrap();
    edit(&mut manifest);
    entries[0].1 = serde_json::to_vec_pretty(&manifest).unwrap();
    entries[1].0 = manifest["data_file"].as_str().unwrap().to_owned();
    let edited = file.with_file_name("edited.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&edited).unwrap());
    for (name, bytes) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        builder.append_data(&mut header, name, bytes.as_slice()).unwrap();
    }
    builder.finish().unwrap();
    edited
}

#[tokio::test]
async fn a_backup_verifies_and_restores_into_an_empty_database_with_identical_contents() {
    let app = TestApp::new().await;
    seed(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let url = app.database().url();
    let file = backup(url, dir.path());
    let name = file.file_name().unwrap().to_str().unwrap();
    let engine = if app.database().is_postgres() { "postgres" } else { "sqlite" };
    assert!(name.starts_with("baseops-") && name.ends_with(&format!("-{engine}.tar")), "{name}");

    let manifest = read_manifest(&file).unwrap();
    assert_eq!(rows(&manifest, "jobs"), JOBS as u64);
    assert_eq!(rows(&manifest, "idempotency_keys"), KEYS as u64);
    assert_eq!(rows(&manifest, "audit_events"), AUDIT_EVENTS as u64);
    assert_eq!(manifest.contents.audit_heads.len(), 3, "{:?}", manifest.contents.audit_heads);
    assert!(manifest.contents.migrations.len() > 20);
    assert_eq!(verify(url, &file), (0, String::new()));

    let empty = TestDatabase::create().await;
    let (code, stdout, stderr) = baseops(empty.url(), &["restore", "--quiet", file.to_str().unwrap()]);
    assert_eq!(code, 0, "restore: {stderr}");
    assert!(stdout.contains("restored and verified"), "{stdout}");
    // A backup of the restored database records exactly what the first one did.
    let again = read_manifest(&backup(empty.url(), &dir.path().join("again"))).unwrap();
    assert_eq!(again.contents, manifest.contents);
    // And the audit trail is intact there, by `baseops audit verify` itself.
    let (code, stdout, stderr) = baseops(empty.url(), &["audit", "verify"]);
    assert_eq!(code, 0, "audit verify: {stdout} {stderr}");
}

#[tokio::test]
async fn a_flipped_byte_or_an_edited_row_count_fails_verify_with_its_exit_code() {
    let app = TestApp::new().await;
    enqueue_jobs(&app, 500).await;
    let dir = tempfile::tempdir().unwrap();
    let url = app.database().url();
    let file = backup(url, dir.path());

    let mut bytes = std::fs::read(&file).unwrap();
    // The manifest is a few KiB at the start; the middle of the file is the data.
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let flipped = dir.path().join("flipped.tar");
    std::fs::write(&flipped, bytes).unwrap();
    let (code, stderr) = verify(url, &flipped);
    assert_eq!(code, EXIT_MISMATCH, "{stderr}");
    assert!(stderr.contains("SHA-256"), "names what differs: {stderr}");

    let edited = edit_manifest(&file, |manifest| {
        let tables = manifest["tables"].as_array_mut().unwrap();
        let jobs = tables.iter_mut().find(|table| table["name"] == "jobs").unwrap();
        jobs["rows"] = serde_json::json!(501);
    });
    let (code, stderr) = verify(url, &edited);
    assert_eq!(code, EXIT_MISMATCH, "{stderr}");
    assert!(stderr.contains("table jobs: the manifest records 501 rows, the data holds 500"), "{stderr}");

    std::fs::write(dir.path().join("garbage.tar"), b"not a backup").unwrap();
    let (code, stderr) = verify(url, &dir.path().join("garbage.tar"));
    assert_eq!(code, EXIT_MISMATCH, "{stderr}");
}

#[tokio::test]
async fn one_changed_value_changes_its_tables_checksum_and_nothing_else() {
    let app = TestApp::new().await;
    enqueue_jobs(&app, 200).await;
    let dir = tempfile::tempdir().unwrap();
    let url = app.database().url();
    let before = read_manifest(&backup(url, &dir.path().join("before"))).unwrap();
    let engine = if app.database().is_postgres() { "row-hash-sum" } else { "key-order-sha256" };
    assert_eq!(serde_json::to_value(before.contents.checksum).unwrap(), engine);

    let first = job::Entity::find().one(app.state().db().write()).await.unwrap().unwrap();
    let mut edited: job::ActiveModel = first.into();
    edited.attempts = Set(7);
    job::Entity::update(edited).exec(app.state().db().write()).await.unwrap();
    let after = read_manifest(&backup(url, &dir.path().join("after"))).unwrap();

    let changed: Vec<&str> = before
        .contents
        .tables
        .iter()
        .zip(&after.contents.tables)
        .filter(|(old, new)| old != new)
        .map(|(old, _)| old.name.as_str())
        .collect();
    assert_eq!(changed, ["jobs"], "only the edited table's checksum moves");
    assert_eq!(rows(&after, "jobs"), 200);
}

#[tokio::test]
async fn a_format_1_manifest_is_checked_with_key_order_checksums() {
    let app = TestApp::new().await;
    enqueue_jobs(&app, 100).await;
    let dir = tempfile::tempdir().unwrap();
    let url = app.database().url();
    let file = backup(url, dir.path());
    let old = edit_manifest(&file, |manifest| {
        manifest["format_version"] = serde_json::json!(1);
        manifest.as_object_mut().unwrap().remove("checksum");
    });
    let (code, stderr) = verify(url, &old);
    if app.database().is_postgres() {
        // The sums recorded are not key-order hashes: every table with rows differs.
        assert_eq!(code, EXIT_MISMATCH, "{stderr}");
        assert!(stderr.contains("table jobs: content checksum differs"), "{stderr}");
    } else {
        // SQLite's checksums always were key-order SHA-256: a format 1 backup verifies.
        assert_eq!((code, stderr), (0, String::new()));
    }
}

#[tokio::test]
async fn restore_refuses_a_database_with_data_without_force_and_another_engine_or_newer_format() {
    let app = TestApp::new().await;
    enqueue_jobs(&app, 300).await;
    let dir = tempfile::tempdir().unwrap();
    let url = app.database().url();
    let file = backup(url, dir.path());
    enqueue_jobs(&app, 10).await;

    let (code, _, stderr) = baseops(url, &["restore", "--quiet", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(job_count(&app).await, 310, "nothing changed");

    let newer = edit_manifest(&file, |manifest| manifest["format_version"] = serde_json::json!(99));
    let (code, _, stderr) = baseops(url, &["restore", "--quiet", "--force", newer.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("format 99"), "{stderr}");
    let (other, data) = if app.database().is_postgres() {
        ("sqlite", "database.sqlite")
    } else {
        ("postgres", "database.pgdump")
    };
    let foreign = edit_manifest(&file, |manifest| {
        manifest["engine"] = serde_json::json!(other);
        manifest["data_file"] = serde_json::json!(data);
    });
    let (code, _, stderr) = baseops(url, &["restore", "--quiet", "--force", foreign.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("same engine"), "{stderr}");
    assert_eq!(job_count(&app).await, 310, "nothing changed");

    // With --force the database is replaced and checked against the manifest.
    let (code, stdout, stderr) = baseops(url, &["restore", "--quiet", "--force", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("restored and verified"), "{stdout}");
}

#[tokio::test]
async fn a_backup_taken_while_rows_are_inserted_is_self_consistent() {
    let app = TestApp::new().await;
    enqueue_jobs(&app, 200).await;
    let stop = Arc::new(AtomicBool::new(false));
    let inserted = Arc::new(AtomicU64::new(0));
    let writer = {
        let (db, stop, inserted) = (app.state().db().write().clone(), stop.clone(), inserted.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let txn = db.begin().await.unwrap();
                let jobs: Vec<Enqueue> = (0..20).map(|_| Enqueue::new(&PurgeFinished).unwrap()).collect();
                enqueue_many(&txn, jobs).await.unwrap();
                txn.commit().await.unwrap();
                inserted.fetch_add(20, Ordering::Relaxed);
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let url = app.database().url().to_owned();
    let target = dir.path().to_owned();
    let file = tokio::task::spawn_blocking(move || backup(&url, &target)).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    let during = inserted.load(Ordering::Relaxed);
    assert!(during > 0, "rows were inserted while the backup ran");

    let manifest = read_manifest(&file).unwrap();
    let jobs = rows(&manifest, "jobs");
    assert!((200..=200 + during).contains(&jobs), "{jobs} jobs recorded, {during} inserted meanwhile");
    assert_eq!(jobs % 20, 0, "whole transactions only: {jobs}");
    assert_eq!(verify(app.database().url(), &file), (0, String::new()));
}

#[tokio::test]
async fn retention_deletes_older_backups_and_nothing_else() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let url = app.database().url();
    // Old backups of earlier days and weeks, and files that only look like backups.
    for name in [
        "baseops-20260101T030000.000Z-sqlite.tar",
        "baseops-20260102T030000.000Z-sqlite.tar",
        "baseops-20260102T040000.000Z-postgres.tar",
        "notes.txt",
        "baseops-latest-sqlite.tar",
        "baseops-20260102T030000.000Z-sqlite.tar.bak",
    ] {
        std::fs::write(dir.path().join(name), b"x").unwrap();
    }
    let dir_arg = dir.path().to_str().unwrap();
    let (code, stdout, stderr) =
        baseops(url, &["backup", "--dir", dir_arg, "--keep-daily", "2", "--keep-weekly", "0"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("retention: deleted"), "step lines on stderr: {stderr}");
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let newest = Path::new(stdout.trim()).file_name().unwrap().to_str().unwrap().to_owned();
    // Today's backup and the newest of the day before that has one (Jan 2, 04:00).
    let mut expected = vec![
        "baseops-20260102T040000.000Z-postgres.tar".to_owned(),
        "baseops-20260102T030000.000Z-sqlite.tar.bak".to_owned(),
        "baseops-latest-sqlite.tar".to_owned(),
        "notes.txt".to_owned(),
        newest,
    ];
    expected.sort();
    assert_eq!(left, expected);
}

/// `baseops worker` on `url`, its backups going to `dir`, the daily backup on or off.
fn worker(url: &str, dir: &Path, scheduled: bool) -> Worker {
    let work = tempfile::tempdir().unwrap();
    let child = command(url, work.path())
        .env("BASEOPS_BACKUP__DIR", dir)
        .env("BASEOPS_BACKUP__SCHEDULED", scheduled.to_string())
        .arg("worker")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    Worker(child, work)
}

/// The worker process and its working directory, removed after it.
struct Worker(std::process::Child, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The state and last error of the `backup.take` job once it has finished (done or dead).
async fn finished_backup_job(app: &TestApp, worker: &mut Worker) -> (String, Option<String>) {
    use sea_orm::{ColumnTrait, QueryFilter};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let found = job::Entity::find()
            .filter(job::Column::Name.eq("backup.take"))
            .filter(job::Column::State.is_in(["done", "dead"]))
            .one(app.state().db().write())
            .await
            .unwrap();
        if let Some(found) = found {
            return (found.state, found.last_error);
        }
        assert!(worker.0.try_wait().unwrap().is_none(), "the worker exited");
        assert!(std::time::Instant::now() < deadline, "backup.take did not finish within 120 s");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

fn backups_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "tar"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_worker_takes_the_daily_backup_only_when_it_is_scheduled() {
    // A fresh worker enqueues the last tick of `backup_daily` (within 24 h) at once.
    let off = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut running = worker(off.database().url(), dir.path(), false);
    assert_eq!(finished_backup_job(&off, &mut running).await, ("done".to_owned(), None));
    drop(running);
    assert!(backups_in(dir.path()).is_empty(), "backup.scheduled off: nothing written");

    let on = TestApp::new().await;
    seed(&on).await;
    let mut running = worker(on.database().url(), dir.path(), true);
    let (state, error) = finished_backup_job(&on, &mut running).await;
    drop(running);
    assert_eq!((state.as_str(), error), ("done", None));
    let [file] = backups_in(dir.path()).try_into().expect("one backup written");
    let manifest = read_manifest(&file).unwrap();
    assert_eq!(rows(&manifest, "audit_events"), AUDIT_EVENTS as u64);
    assert_eq!(verify(on.database().url(), &file), (0, String::new()));
}

/// `baseops ARGS` on `url` with `input` on stdin.
fn baseops_with_input(url: &str, args: &[&str], input: &str) -> (i32, String) {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(url, dir.path())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    (output.status.code().expect("exited"), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Leads and tasks the large round trip seeds.
const LARGE: u64 = 100_000;

#[tokio::test]
async fn a_hundred_thousand_leads_and_tasks_round_trip_with_identical_contents() {
    let app = TestApp::new().await;
    let url = app.database().url();
    let (code, stderr) = baseops_with_input(
        url,
        &["createsuperuser", "--email", "owner@example.com", "--organization", "Large", "--password-stdin"],
        "a-long-enough-password-0123\n",
    );
    assert_eq!(code, 0, "createsuperuser: {stderr}");
    for noun in ["leads", "tasks"] {
        let count = LARGE.to_string();
        let (code, _, stderr) = baseops(url, &["demo-data", noun, "--org", "large", "--count", &count]);
        assert_eq!(code, 0, "demo-data {noun}: {stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = backup(url, dir.path());
    let manifest = read_manifest(&file).unwrap();
    assert_eq!((rows(&manifest, "leads"), rows(&manifest, "tasks")), (LARGE, LARGE));
    // The restore recomputes every count and checksum on the restored database and compares
    // them with the manifest (a difference is exit 6), then walks the audit chains.
    let empty = TestDatabase::create().await;
    let (code, stdout, stderr) = baseops(empty.url(), &["restore", "--quiet", file.to_str().unwrap()]);
    assert_eq!(code, 0, "restore: {stdout} {stderr}");
    assert!(stdout.contains("restored and verified"), "{stdout}");
    let (code, stdout, stderr) = baseops(empty.url(), &["audit", "verify"]);
    assert_eq!(code, 0, "audit verify: {stdout} {stderr}");
}
