//! The `email.send` job against a real SMTP server on loopback: `scripts/smtp_sink.py`
//! (aiosmtpd), run with the Python in `BASEOPS_TEST_PYTHON` (scripts/run_tests.sh creates
//! `target/tools/venv` with aiosmtpd and exports it; CI always sets it). Without the variable
//! these tests are recorded as skipped (failed, in the full variant that requires Python); with
//! it, a sink that cannot start fails them.
//!
//! On SQLite, or PostgreSQL with BASEOPS_TEST_DATABASE_URL: a message enqueued in a
//! transaction arrives with its headers, both parts and its recipient (authenticated); with
//! the server down the job is retried and delivered once the server is back; a 550 makes the
//! job dead at once with the server's reply recorded, a 451 is retried; STARTTLS and TLS
//! deliver to a server whose certificate (from a CA made with `openssl` for the test) verifies
//! through `email.smtp_ca_file`, and nothing is sent to one whose certificate does not.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use baseops_core::{Acting, Actor, Origin};
use baseops_email::{Email, Templates, enqueue_email};
use baseops_jobs::model::job;
use baseops_jobs::queue::state;
use baseops_jobs::{Worker, WorkerConfig};
use baseops_test_support::{RunningWorker, TestApp};
use sea_orm::{EntityTrait, TransactionTrait};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use uuid::Uuid;

/// The Python that has aiosmtpd, or `None` when the test is skipped (and recorded as such).
fn python() -> Option<String> {
    baseops_test_support::services::python()
}

/// `scripts/smtp_sink.py` running on a loopback port, writing into a temporary directory.
struct Sink {
    python: String,
    args: Vec<String>,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl Sink {
    /// Starts a sink on a free port with extra `args` (`--reject`, `--auth`, …).
    async fn start(python: &str, args: &[&str]) -> Self {
        let mut sink = Self {
            python: python.to_owned(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            dir: tempfile::tempdir().expect("a temporary directory"),
            port: 0,
            child: None,
        };
        sink.up().await;
        sink
    }

    /// Starts the server (again, on the same port once it has one).
    async fn up(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp_sink.py");
        let mut child = Command::new(&self.python)
            .arg(&script)
            .args(["--dir", self.dir.path().to_str().expect("a UTF-8 path")])
            .args(["--port", &self.port.to_string()])
            .args(&self.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run {} (BASEOPS_TEST_PYTHON): {error}", self.python));
        let stdout = child.stdout.take().expect("the sink's stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the SMTP sink did not start within 20 s")
            .expect("the sink's stdout")
            .unwrap_or_else(|| {
                panic!("the SMTP sink exited at start: is aiosmtpd installed for {}?", self.python)
            });
        let port = line.rsplit(':').next().and_then(|port| port.trim().parse().ok());
        self.port = port.unwrap_or_else(|| panic!("unexpected first line from the sink: {line:?}"));
        self.child = Some(child);
    }

    /// Stops the server: connections are refused until [`Sink::up`].
    async fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("the sink stops");
        }
    }

    /// The messages received so far (the sink's JSON records), oldest first.
    fn messages(&self) -> Vec<Value> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("the sink's directory")
            .map(|entry| entry.expect("an entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|path| {
                serde_json::from_str(&std::fs::read_to_string(path).expect("a record")).expect("JSON")
            })
            .collect()
    }
}

/// The build whose e-mail goes to `sink` over plain SMTP (loopback), unless `extra` settings
/// say otherwise.
async fn app_for(sink: &Sink, extra: &[(&str, &str)]) -> TestApp {
    TestApp::builder()
        .setting("BASEOPS_EMAIL__BACKEND", "smtp")
        .setting("BASEOPS_EMAIL__SMTP_HOST", "127.0.0.1")
        .setting("BASEOPS_EMAIL__SMTP_PORT", &sink.port.to_string())
        .setting("BASEOPS_EMAIL__SMTP_TLS", "none")
        .setting("BASEOPS_EMAIL__SMTP_TIMEOUT_SECS", "5")
        .settings(extra)
        .build()
        .await
}

/// Enqueues `email` in a committed transaction, as a service does.
async fn enqueue(app: &TestApp, email: Email) -> Uuid {
    let origin = Origin::internal();
    let acting = Acting { actor: &Actor::Anonymous, origin: &origin };
    let txn = app.state().db().write().begin().await.unwrap();
    let id = enqueue_email(&txn, acting, None, email).await.unwrap();
    txn.commit().await.unwrap();
    id
}

fn plain(to: &str) -> Email {
    Email { to: to.to_owned(), subject: format!("Hello {to}"), text: "Hello.".to_owned(), html: None }
}

async fn row(app: &TestApp, id: Uuid) -> job::Model {
    job::Entity::find_by_id(id).one(app.state().db().read()).await.unwrap().expect("the job")
}

/// The build's worker on the e-mail queue only, running in the background with a chosen
/// back-off, so a test can watch retries happen (the kit's `run_jobs` leaves a retry due
/// later waiting, and uses the default back-off).
/// The e-mail queue's worker with this back-off, running while the test watches it.
fn start_worker(app: &TestApp, backoff: Duration) -> RunningWorker {
    let mut config = WorkerConfig::new(vec![baseops_email::QUEUE.to_owned()]);
    config.poll = Duration::from_millis(20);
    config.backoff_base = backoff;
    config.grace = Duration::from_secs(5);
    RunningWorker::start(Worker::new(app.state().clone(), app.apps().jobs(), config))
}

/// Waits until `done` holds for the job rows `ids`, or fails after 30 s.
async fn until(
    app: &TestApp,
    ids: &[Uuid],
    what: &str,
    done: impl Fn(&[job::Model]) -> bool,
) -> Vec<job::Model> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut rows = Vec::new();
        for id in ids {
            rows.push(row(app, *id).await);
        }
        if done(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{what} did not happen within 30 s: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn part<'a>(message: &'a Value, content_type: &str) -> &'a str {
    let parts = message["parts"].as_array().expect("parts");
    let found = parts.iter().find(|part| part["content_type"] == content_type);
    found
        .and_then(|part| part["body"].as_str())
        .unwrap_or_else(|| panic!("no {content_type} part: {message:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_message_arrives_with_its_headers_both_parts_and_the_recipient() {
    let Some(python) = python() else { return };
    let sink = Sink::start(&python, &["--auth", "mailer:smtp-pa55word"]).await;
    let app = app_for(
        &sink,
        &[
            ("BASEOPS_EMAIL__FROM", "Baseops Team <no-reply@baseops.test>"),
            ("BASEOPS_EMAIL__SMTP_USERNAME", "mailer"),
            ("BASEOPS_EMAIL__SMTP_PASSWORD", "smtp-pa55word"),
        ],
    )
    .await;
    let context = json!({
        "inviter_name": "Ann <ann@acme.test>",
        "organization": "Café & Co",
        "role": "Sales",
        "url": "http://localhost:8000/accept-invitation?token=tok-123",
        "token": "tok-123",
        "valid_days": 7,
    });
    let email = Templates::from_settings(app.settings())
        .render("invitation", None, "new@example.com", &context)
        .unwrap();

    // A rolled-back change leaves no message behind.
    let origin = Origin::internal();
    let txn = app.state().db().write().begin().await.unwrap();
    enqueue_email(&txn, Acting { actor: &Actor::Anonymous, origin: &origin }, None, email.clone())
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    assert!(job::Entity::find().all(app.state().db().read()).await.unwrap().is_empty());

    let id = enqueue(&app, email).await;
    let queued = row(&app, id).await;
    assert_eq!((queued.name.as_str(), queued.queue.as_str()), ("email.send", "email"));
    let worker = start_worker(&app, Duration::from_millis(50));
    until(&app, &[id], "delivery", |rows| rows[0].state == state::DONE).await;
    worker.stop().await;
    assert!(queued.payload.contains("new@example.com"));
    assert_eq!(
        row(&app, id).await.payload,
        "null",
        "a sent message, links and all, stayed in the jobs table"
    );

    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let message = &messages[0];
    assert_eq!(message["mail_from"], "no-reply@baseops.test");
    assert_eq!(message["rcpt_tos"], json!(["new@example.com"]));
    assert_eq!(message["auth_user"], "mailer", "the SMTP credentials were used");
    assert_eq!(message["tls"], false, "plain TCP on loopback, as configured");
    let headers = &message["headers"];
    assert_eq!(headers["From"], "Baseops Team <no-reply@baseops.test>");
    assert_eq!(headers["To"], "new@example.com");
    assert_eq!(headers["Subject"], "You are invited to Café & Co on baseops", "non-ASCII subjects survive");
    assert!(headers["Date"].is_string() && headers["Message-ID"].is_string(), "{headers:#}");
    assert_eq!(message["content_type"], "multipart/alternative");
    let text = part(message, "text/plain");
    assert!(
        text.contains("Ann <ann@acme.test> invited you to join Café & Co on baseops as Sales."),
        "{text}"
    );
    assert!(text.contains("http://localhost:8000/accept-invitation?token=tok-123"), "{text}");
    let html = part(message, "text/html");
    assert!(
        html.contains("Ann &lt;ann@acme.test&gt; invited you") && html.contains("Café &amp; Co"),
        "{html}"
    );
    assert!(html.contains("accept-invitation?token=tok-123") && !html.contains("<ann@"), "{html}");
    let done = row(&app, id).await;
    assert_eq!((done.attempts, done.last_error), (1, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_server_down_the_job_retries_and_succeeds_once_it_is_back() {
    let Some(python) = python() else { return };
    let mut sink = Sink::start(&python, &[]).await;
    let app = app_for(&sink, &[]).await;
    sink.down().await;

    let id = enqueue(&app, plain("jane@example.com")).await;
    let worker = start_worker(&app, Duration::from_millis(50));
    let failed = until(&app, &[id], "two failed attempts", |rows| {
        rows[0].attempts >= 2 && rows[0].state == state::PENDING
    })
    .await;
    let error = failed[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("unavailable") && error.contains(&format!("127.0.0.1:{}", sink.port)), "{error}");
    assert!(sink.messages().is_empty());

    sink.up().await;
    let done = until(&app, &[id], "delivery after the restart", |rows| rows[0].state == state::DONE).await;
    worker.stop().await;
    assert!(done[0].attempts >= 3, "{:?}", done[0]);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "delivered once: {messages:#?}");
    assert_eq!(messages[0]["rcpt_tos"], json!(["jane@example.com"]));
    assert_eq!(messages[0]["headers"]["Subject"], "Hello jane@example.com");
    assert_eq!(part(&messages[0], "text/plain").trim_end(), "Hello.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_550_kills_the_job_at_once_with_the_reply_recorded_and_a_451_is_retried() {
    let Some(python) = python() else { return };
    let sink = Sink::start(&python, &["--reject", "^bounce@", "--defer", "^later@"]).await;
    let app = app_for(&sink, &[]).await;
    let bounce = enqueue(&app, plain("bounce@example.com")).await;
    let later = enqueue(&app, plain("later@example.com")).await;
    let fine = enqueue(&app, plain("fine@example.com")).await;

    // A long back-off: the deferred job's second attempt stays in the future.
    let worker = start_worker(&app, Duration::from_secs(60));
    let rows = until(&app, &[bounce, later, fine], "every first attempt", |rows| {
        rows[0].state == state::DEAD
            && rows[1].attempts == 1
            && rows[1].state == state::PENDING
            && rows[2].state == state::DONE
    })
    .await;
    worker.stop().await;

    let dead = &rows[0];
    assert_eq!(dead.attempts, 1, "a permanent failure is not retried");
    let error = dead.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("550") && error.contains("mailbox unavailable"), "{error}");
    let deferred = rows[1].last_error.as_deref().unwrap_or_default();
    assert!(deferred.contains("451") && deferred.contains("try again later"), "{deferred}");
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(messages[0]["rcpt_tos"], json!(["fine@example.com"]));
}

/// A certificate authority and a `localhost` server certificate it signed, made with the
/// `openssl` command in a temporary directory: `ca.pem`, `server.pem`, `server.key`.
fn certificates() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let openssl = |args: &[&str]| {
        let output = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("the openssl command (Debian package openssl)");
        assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        &[
            &[
                "req",
                "-x509",
                "-days",
                "2",
                "-subj",
                "/CN=baseops test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ][..],
            &ec,
        ]
        .concat(),
    );
    openssl(
        &[&["req", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"][..], &ec]
            .concat(),
    );
    std::fs::write(
        dir.path().join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-days",
        "2",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
    dir
}

/// Delivers one message to a sink speaking `mode` (`starttls` or `tls`) with a certificate
/// from a private CA; returns the job and the sink's records.
async fn over_tls(python: &str, mode: &str, trust_the_ca: bool) -> (job::Model, Vec<Value>) {
    let certificates = certificates();
    let path = |name: &str| certificates.path().join(name).to_str().expect("a UTF-8 path").to_owned();
    let (cert, key, ca) = (path("server.pem"), path("server.key"), path("ca.pem"));
    let sink = Sink::start(
        python,
        &["--tls", mode, "--cert", &cert, "--key", &key, "--auth", "mailer:tls-pa55word"],
    )
    .await;
    let mut settings = vec![
        ("BASEOPS_EMAIL__SMTP_HOST", "localhost"),
        ("BASEOPS_EMAIL__SMTP_TLS", mode),
        ("BASEOPS_EMAIL__SMTP_USERNAME", "mailer"),
        ("BASEOPS_EMAIL__SMTP_PASSWORD", "tls-pa55word"),
    ];
    if trust_the_ca {
        settings.push(("BASEOPS_EMAIL__SMTP_CA_FILE", &ca));
    }
    let app = app_for(&sink, &settings).await;
    let id = enqueue(&app, plain("secure@example.com")).await;
    let worker = start_worker(&app, Duration::from_millis(50));
    let rows = until(&app, &[id], "an attempt's outcome", |rows| {
        rows[0].state == state::DONE || (rows[0].state == state::PENDING && rows[0].last_error.is_some())
    })
    .await;
    worker.stop().await;
    (rows[0].clone(), sink.messages())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_and_tls_deliver_encrypted_to_a_server_whose_certificate_verifies() {
    let Some(python) = python() else { return };
    for mode in ["starttls", "tls"] {
        let (job, messages) = over_tls(&python, mode, true).await;
        assert_eq!(job.state, state::DONE, "{mode}: {job:?}");
        assert_eq!(messages.len(), 1, "{mode}: {messages:#?}");
        assert_eq!(messages[0]["tls"], true, "{mode}: the session was encrypted");
        assert_eq!(messages[0]["auth_user"], "mailer");
        assert_eq!(messages[0]["rcpt_tos"], json!(["secure@example.com"]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_does_not_verify_stops_delivery_and_is_retried() {
    let Some(python) = python() else { return };
    let (job, messages) = over_tls(&python, "starttls", false).await;
    assert_eq!(job.state, state::PENDING, "{job:?}");
    let error = job.last_error.unwrap_or_default();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert!(messages.is_empty(), "nothing was sent to an unverified server: {messages:#?}");
}
