//! The platform's commands of the real binary: exit codes, messages, migrations, and a served
//! process and a worker end to end.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use baseops_test_support::{TestDatabase, raw_request};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::binary::{baseops, run};

const PROD_SECRET: &str = "a-production-secret-key-that-is-long-enough-0123456789";

/// Production settings that pass `check --deploy`.
fn safe_prod(command: &mut Command) -> &mut Command {
    command
        .env("BASEOPS_ENV", "prod")
        .env("BASEOPS_SECRET_KEY", PROD_SECRET)
        .env("BASEOPS_DATABASE__URL", "postgres://baseops:hunter2-db-password@db.internal:5432/baseops")
        .env("BASEOPS_SERVER__ALLOWED_HOSTS", "[ops.example.com]")
        .env("BASEOPS_SERVER__PUBLIC_URL", "https://ops.example.com")
        .env("BASEOPS_EMAIL__BACKEND", "smtp")
        .env("BASEOPS_EMAIL__SMTP_HOST", "smtp.example.com")
}

#[test]
fn check_prints_the_effective_configuration_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(baseops(dir.path()).arg("check").env("BASEOPS_SECRET_KEY", PROD_SECRET));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("secret_key"), "{stdout}");
    assert!(!stdout.contains(PROD_SECRET), "the secret key is printed: {stdout}");
    assert!(stdout.contains("bind"), "{stdout}");
    assert!(stderr.contains("configuration is valid (dev environment)"), "{stderr}");
}

#[test]
fn check_deploy_lists_every_unsafe_setting_of_a_development_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(baseops(dir.path()).args(["check", "--deploy"]));
    assert_eq!(code, 3, "{stderr}");
    let findings: Vec<&str> = stderr.lines().filter(|line| line.starts_with("unsafe: ")).collect();
    for expected in [
        "debug is on",
        "development default",
        "SQLite",
        "cookie_secure",
        "allowed_hosts",
        "HTTPS",
        "email.backend",
        "__Host-",
    ] {
        assert!(findings.iter().any(|line| line.contains(expected)), "no finding about {expected}: {stderr}");
    }
    assert_eq!(findings.len(), 8, "{stderr}");
}

#[test]
fn check_deploy_passes_a_safe_production_configuration_and_never_prints_its_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(safe_prod(&mut baseops(dir.path())).args(["check", "--deploy"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("no unsafe production settings found"), "{stderr}");
    for secret in [PROD_SECRET, "hunter2-db-password"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "{secret} printed");
    }
}

#[test]
fn a_short_production_secret_key_is_a_deploy_finding() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(safe_prod(&mut baseops(dir.path()))
        .env("BASEOPS_SECRET_KEY", "short")
        .args(["check", "--deploy"]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("unsafe: secret_key is shorter than 32 characters"), "{stderr}");
}

#[test]
fn a_missing_production_secret_is_an_error_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(baseops(dir.path())
        .arg("check")
        .env("BASEOPS_ENV", "prod")
        .env("BASEOPS_DATABASE__URL", "postgres://db.internal/baseops"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("BASEOPS_SECRET_KEY"), "{stderr}");

    let (code, _, stderr) = run(baseops(dir.path()).arg("serve").env("BASEOPS_ENV", "staging"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("BASEOPS_SECRET_KEY") || stderr.contains("BASEOPS_DATABASE__URL"), "{stderr}");
}

#[test]
fn a_bad_environment_value_is_an_error_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) =
        run(baseops(dir.path()).arg("check").env("BASEOPS_SERVER__BIND", "not-an-address"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("BASEOPS_SERVER__BIND"), "{stderr}");

    let (code, _, stderr) = run(baseops(dir.path()).arg("check").env("BASEOPS_ENV", "production"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("BASEOPS_ENV"), "{stderr}");
}

#[test]
fn wrong_usage_exits_2_and_version_prints_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, _) = run(baseops(dir.path()).arg("no-such-command"));
    assert_eq!(code, 2);
    let (code, stdout, _) = run(baseops(dir.path()).arg("version"));
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), format!("baseops {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn migrate_applies_and_reports_on_a_fresh_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(baseops(dir.path()).arg("migrate").env("BASEOPS_LOG__FILES", "false"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("applied "), "{stdout}");
    assert!(dir.path().join("data/baseops.db").exists(), "the default SQLite file was not created");
    let (code, _, stderr) =
        run(baseops(dir.path()).args(["migrate", "--status"]).env("BASEOPS_LOG__FILES", "false"));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn an_unreachable_database_is_retried_then_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    // Port 9 (discard) on loopback: nothing listens there, connections are refused at once.
    let (code, _, stderr) = run(baseops(dir.path())
        .arg("migrate")
        .env("BASEOPS_LOG__FILES", "false")
        .env("BASEOPS_DATABASE__URL", "postgres://postgres:db-password-xyz@127.0.0.1:9/nothing")
        .env("BASEOPS_DATABASE__CONNECT_RETRY_SECS", "2"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot reach the database"), "{stderr}");
    assert!(!stderr.contains("db-password-xyz"), "the database password is printed: {stderr}");
    assert!(started.elapsed() >= Duration::from_secs(1), "gave up without retrying");
    assert!(started.elapsed() < Duration::from_secs(30), "retried far longer than configured");
}

/// A `baseops serve` child process, killed if a test fails before stopping it.
struct Served {
    child: tokio::process::Child,
    address: SocketAddr,
}

impl Served {
    async fn start(dir: &Path, database_url: &str) -> Self {
        let mut command = tokio::process::Command::from(baseops(dir));
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("BASEOPS_DATABASE__URL", database_url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("serve starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let banner = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.starts_with("baseops is running at http://") {
                    return line;
                }
            }
            panic!("serve exited without printing its address");
        })
        .await
        .expect("serve printed its address within 60 s");
        let address = banner["baseops is running at http://".len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .expect("an address in the banner");
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, address }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        raw_request(self.address, "GET", path, &[], b"").await.expect("the server answers")
    }

    async fn terminate(mut self) -> i32 {
        let pid = self.child.id().expect("still running");
        let killed = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
        assert!(killed.success());
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("stopped within 30 s of SIGTERM")
            .unwrap();
        status.code().expect("exited by itself, not killed")
    }
}

#[tokio::test]
async fn serve_answers_rejects_bad_input_keeps_serving_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create().await;
    let served = Served::start(dir.path(), database.url()).await;

    assert_eq!(served.get("/healthz").await.0, 200);
    assert_eq!(served.get("/readyz").await.0, 200);
    let (status, docs) = served.get("/api/docs/").await;
    assert_eq!(status, 200);
    assert!(docs.contains("swagger"), "the docs page is not Swagger UI");
    let (status, openapi) = served.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(openapi.contains("\"openapi\":\"3.1"), "{openapi}");

    let huge = vec![b'x'; 20 * 1024 * 1024];
    let (status, answer) = raw_request(
        served.address,
        "POST",
        "/api/v1/anything",
        &[("Content-Type", "application/json")],
        &huge,
    )
    .await
    .unwrap();
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let (status, answer) = served.get("/no/such/route").await;
    assert_eq!(status, 404);
    assert!(answer.contains("\"code\":\"not_found\""), "{answer}");

    // Still serving after the bad requests.
    assert_eq!(served.get("/healthz").await.0, 200);
    let (status, metrics) = served.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("http_requests_total"), "{metrics}");

    if !database.is_postgres() {
        assert!(dir.path().join("logs/app.log").exists() || has_dated_log(dir.path(), "app.log"));
    }
    assert_eq!(served.terminate().await, 0);
    database.drop_now().await;
}

fn has_dated_log(dir: &Path, prefix: &str) -> bool {
    std::fs::read_dir(dir.join("logs"))
        .map(|entries| entries.flatten().any(|entry| entry.file_name().to_string_lossy().starts_with(prefix)))
        .unwrap_or(false)
}

#[tokio::test]
async fn the_worker_runs_queued_jobs_and_stops_on_sigterm() {
    use baseops_jobs::maintenance::PurgeFinished;
    use baseops_jobs::model::job;
    use sea_orm::{Database, EntityTrait, TransactionTrait};

    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create().await;
    let mut migrate = baseops(dir.path());
    migrate.arg("migrate").env("BASEOPS_DATABASE__URL", database.url()).env("BASEOPS_LOG__FILES", "false");
    assert_eq!(run(&mut migrate).0, 0);
    let connection = Database::connect(database.url()).await.unwrap();
    let txn = connection.begin().await.unwrap();
    let id = baseops_jobs::enqueue(&txn, baseops_jobs::Enqueue::new(&PurgeFinished).unwrap())
        .await
        .unwrap()
        .unwrap();
    txn.commit().await.unwrap();

    let mut command = tokio::process::Command::from(baseops(dir.path()));
    command
        .args(["worker", "--concurrency", "2"])
        .env("BASEOPS_DATABASE__URL", database.url())
        .env("BASEOPS_LOG__FILES", "false")
        .env("BASEOPS_JOBS__POLL_INTERVAL_MS", "50")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let state = loop {
        let row = job::Entity::find_by_id(id).one(&connection).await.unwrap().unwrap();
        if row.state == "done" || Instant::now() > deadline {
            break row.state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(state, "done");
    let pid = child.id().unwrap().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(0));

    let (code, stdout, _) = run(baseops(dir.path())
        .args(["jobs", "list", "--state", "done"])
        .env("BASEOPS_DATABASE__URL", database.url())
        .env("BASEOPS_LOG__FILES", "false"));
    assert_eq!(code, 0);
    assert!(stdout.contains(&id.to_string()) && stdout.contains("jobs.purge_finished"), "{stdout}");
    // Ours, and the recurring jobs the worker's scheduler enqueued on start.
    let done = stdout.lines().skip(1).count();
    let (code, stdout, _) = run(baseops(dir.path())
        .args(["jobs", "purge", "--older-than", "0s"])
        .env("BASEOPS_DATABASE__URL", database.url())
        .env("BASEOPS_LOG__FILES", "false"));
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), format!("{done} finished job(s) deleted"));
    let (code, _, stderr) = run(baseops(dir.path()).args(["jobs", "purge", "--older-than", "7 weeks"]));
    assert_eq!(code, 2, "{stderr}");
    connection.close().await.unwrap();
    database.drop_now().await;
}
