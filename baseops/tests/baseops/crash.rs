//! Crash safety of idempotent creates, end to end on the real binary: concurrent clients
//! create tasks with `Idempotency-Key`, the server is killed with SIGKILL in the middle, and
//! after a restart on the same database every request is replayed with its key. No
//! acknowledged task may be lost, none may exist twice, every replay must answer the task
//! its key created, and the audit trail must still verify.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use baseops_test_support::{TestDatabase, raw_request};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::binary::{baseops_on, run};

/// Creates sent in all; each is replayed once after the restart.
const REQUESTS: usize = 200;
/// Clients sending at once.
const CLIENTS: usize = 8;
/// Acknowledged creates after which the server is killed: early enough that most requests
/// are still to come, late enough that a good number were answered.
const KILL_AFTER_ACKS: usize = 60;
/// Longest wait for one answer; a request past it counts as unanswered.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for the server to start, to reach the kill point, or to stop.
const PHASE_TIMEOUT: Duration = Duration::from_secs(120);

/// The superuser the real-server tests create.
pub(crate) const EMAIL: &str = "ops@example.com";
/// Their password.
pub(crate) const PASSWORD: &str = "violet-harbor-77-lamp";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_sigkill_and_replays_create_each_task_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create().await;
    let url = database.url();
    migrate_with_superuser(dir.path(), url);

    let server = Server::start(dir.path(), url).await;
    let token = api_token(server.address, &["tasks.create", "tasks.view"]).await;
    let creates: Arc<Vec<Create>> = Arc::new((0..REQUESTS).map(Create::new).collect());

    // Phase 1: fire, and kill the server once KILL_AFTER_ACKS creates were acknowledged,
    // while the other clients' requests are in flight.
    let kill_point = Arc::new(Notify::new());
    let clients = fire(server.address, &token, &creates, Some(Arc::clone(&kill_point)));
    tokio::time::timeout(PHASE_TIMEOUT, kill_point.notified())
        .await
        .expect("the clients reached the kill point");
    server.kill().await;
    let first = collect(clients).await;
    let acked: HashMap<usize, Uuid> =
        first.iter().enumerate().filter_map(|(i, outcome)| Some((i, outcome.created()?))).collect();
    assert!(acked.len() >= KILL_AFTER_ACKS && acked.len() < REQUESTS, "{} acknowledged", acked.len());
    // A client retries only what got no definite answer; a 4xx before the crash would be a
    // refusal of a valid request.
    let refused: Vec<_> =
        first.iter().filter(|outcome| outcome.is_client_error()).map(Outcome::describe).collect();
    assert!(refused.is_empty(), "valid creates refused before the crash: {refused:?}");

    // Phase 2: restart on the same database. Before any replay, every acknowledged task is
    // there with the id it was acknowledged with.
    let server = Server::start(dir.path(), url).await;
    let before = listed(server.address, &token).await;
    for (i, id) in &acked {
        let title = &creates[*i].title;
        assert_eq!(
            before.get(title),
            Some(&vec![*id]),
            "acknowledged {title} lost or changed after the crash"
        );
    }
    let committed_unacked = before.len() - acked.len();

    // Replay every request with its key and body, concurrently again.
    let replays = collect(fire(server.address, &token, &creates, None)).await;
    let mut replayed = HashMap::new();
    for (i, outcome) in replays.iter().enumerate() {
        let Some(id) = outcome.created() else {
            panic!("the replay of {} answered {}", creates[i].key, outcome.describe());
        };
        if let Some(original) = acked.get(&i) {
            assert_eq!(id, *original, "the replay of acknowledged {} answered another task", creates[i].key);
        }
        if let Some(ids) = before.get(&creates[i].title) {
            assert_eq!(
                ids,
                &vec![id],
                "the replay of {} did not answer the task its key made",
                creates[i].key
            );
        }
        replayed.insert(creates[i].title.clone(), id);
    }

    // Exactly one task per request, the one its replay answered, and nothing else.
    let after = listed(server.address, &token).await;
    let duplicated: Vec<_> = after.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(duplicated.is_empty(), "tasks created more than once: {duplicated:?}");
    assert_eq!(after.len(), REQUESTS, "tasks listed");
    for (title, id) in &replayed {
        assert_eq!(after.get(title), Some(&vec![*id]), "{title}");
    }
    assert_eq!(server.terminate().await, Some(0), "serve stopped on SIGTERM");

    // One audit event per task: a rolled-back or repeated create leaves none extra.
    assert_eq!(
        count(url, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'task.create'").await,
        REQUESTS as i64
    );
    let (code, stdout, stderr) = run(baseops_on(dir.path(), url).args(["audit", "verify"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("audit trail intact"), "{stdout}");
    eprintln!(
        "{} acknowledged before SIGKILL, {committed_unacked} committed but unacknowledged, {} created by replay",
        acked.len(),
        REQUESTS - before.len(),
    );
    database.drop_now().await;
}

/// One create: its key and body are fixed so that the replay sends the very same request.
struct Create {
    key: String,
    title: String,
    body: String,
}

impl Create {
    fn new(i: usize) -> Self {
        let title = format!("crash-{i:03}");
        let body = json!({"title": title, "description": format!("request {i}"), "labels": ["crash"]});
        Self { key: format!("crash-key-{i:03}"), title, body: body.to_string() }
    }
}

/// What a client saw for one create.
enum Outcome {
    /// 201 with this task (of the request's title).
    Created(Uuid),
    /// Any other answer: status and body.
    Answered(u16, String),
    /// No answer: the connection failed, broke off or timed out.
    Failed(String),
}

impl Outcome {
    fn created(&self) -> Option<Uuid> {
        match self {
            Self::Created(id) => Some(*id),
            _ => None,
        }
    }

    fn is_client_error(&self) -> bool {
        matches!(self, Self::Answered(status, _) if (400..500).contains(status))
    }

    /// For failure messages.
    fn describe(&self) -> String {
        match self {
            Self::Created(id) => format!("201 {id}"),
            Self::Answered(status, body) => format!("{status} {body}"),
            Self::Failed(error) => format!("no answer: {error}"),
        }
    }
}

/// Starts CLIENTS clients that send every create once, each taking the next one not yet
/// sent; with `kill_point`, the KILL_AFTER_ACKS-th acknowledgement notifies it.
fn fire(
    address: SocketAddr,
    token: &str,
    creates: &Arc<Vec<Create>>,
    kill_point: Option<Arc<Notify>>,
) -> JoinSet<Vec<(usize, Outcome)>> {
    let next = Arc::new(AtomicUsize::new(0));
    let acks = Arc::new(AtomicUsize::new(0));
    let mut clients = JoinSet::new();
    for _ in 0..CLIENTS {
        let (next, acks, kill_point) = (Arc::clone(&next), Arc::clone(&acks), kill_point.clone());
        let (creates, auth) = (Arc::clone(creates), format!("Bearer {token}"));
        clients.spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(create) = creates.get(i) else { break };
                let outcome = post_create(address, &auth, create).await;
                if outcome.created().is_some()
                    && acks.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER_ACKS
                    && let Some(kill_point) = &kill_point
                {
                    // A stored permit: the wake-up is not lost if nobody waits yet.
                    kill_point.notify_one();
                }
                outcomes.push((i, outcome));
            }
            outcomes
        });
    }
    clients
}

/// Every client's outcomes, in request order.
async fn collect(clients: JoinSet<Vec<(usize, Outcome)>>) -> Vec<Outcome> {
    let joined = tokio::time::timeout(PHASE_TIMEOUT, clients.join_all()).await.expect("the clients finished");
    let mut outcomes: Vec<(usize, Outcome)> = joined.into_iter().flatten().collect();
    outcomes.sort_by_key(|(i, _)| *i);
    assert_eq!(outcomes.len(), REQUESTS);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

async fn post_create(address: SocketAddr, auth: &str, create: &Create) -> Outcome {
    let headers = [
        ("Authorization", auth),
        ("Content-Type", "application/json"),
        ("Idempotency-Key", create.key.as_str()),
    ];
    let sent = raw_request(address, "POST", "/api/v1/tasks", &headers, create.body.as_bytes());
    let answer = match tokio::time::timeout(REQUEST_TIMEOUT, sent).await {
        Err(_) => return Outcome::Failed("timed out".into()),
        Ok(Err(error)) => return Outcome::Failed(error.to_string()),
        Ok(Ok((status, raw))) => Answer::parse(status, &raw),
    };
    let body = answer.json();
    // A body cut off by the kill does not parse: unanswered, not acknowledged.
    let id = body["id"].as_str().and_then(|id| Uuid::parse_str(id).ok());
    match id {
        Some(id) if answer.status == 201 && body["title"] == create.title.as_str() => Outcome::Created(id),
        _ if body.is_null() && answer.status == 201 => Outcome::Failed(format!("cut off: {}", answer.body)),
        _ => Outcome::Answered(answer.status, answer.body),
    }
}

/// Logs in as the superuser and creates an API token with `scopes`.
pub(crate) async fn api_token(address: SocketAddr, scopes: &[&str]) -> String {
    let login = json!({"email": EMAIL, "password": PASSWORD}).to_string();
    let answer = send(address, "POST", "/api/v1/auth/login", &[], &login).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let cookie =
        answer.header("set-cookie").and_then(|value| value.split(';').next()).expect("a session cookie");
    let body = answer.json();
    let csrf = body["csrf_token"].as_str().expect("a CSRF token");
    let new = json!({"name": "real-server-test", "scopes": scopes}).to_string();
    let answer =
        send(address, "POST", "/api/v1/tokens", &[("Cookie", cookie), ("X-CSRF-Token", csrf)], &new).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.json()["token"].as_str().expect("the token's secret").to_owned()
}

/// Every task, title → ids, read a page at a time.
async fn listed(address: SocketAddr, token: &str) -> HashMap<String, Vec<Uuid>> {
    let auth = format!("Bearer {token}");
    let mut tasks: HashMap<String, Vec<Uuid>> = HashMap::new();
    let mut cursor: Option<String> = None;
    // Bounded: REQUESTS tasks are two pages of 200 at most, even if every one were doubled.
    for _ in 0..=(2 * REQUESTS / 200 + 1) {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/tasks?limit=200&cursor={}", percent_encode(cursor)),
            None => "/api/v1/tasks?limit=200".to_owned(),
        };
        let answer = send(address, "GET", &path, &[("Authorization", &auth)], "").await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let page = answer.json();
        for item in page["items"].as_array().expect("items") {
            let id = Uuid::parse_str(item["id"].as_str().expect("an id")).expect("a UUID");
            tasks.entry(item["title"].as_str().expect("a title").to_owned()).or_default().push(id);
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return tasks,
        }
    }
    panic!("more pages of tasks than requests were sent");
}

/// The cursor is opaque: escape everything but unreserved characters.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A request that must be answered (set-up and reads, never during the crash).
pub(crate) async fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut all = headers.to_vec();
    if !body.is_empty() {
        all.push(("Content-Type", "application/json"));
    }
    let sent = raw_request(address, method, path, &all, body.as_bytes());
    let (status, raw) = tokio::time::timeout(REQUEST_TIMEOUT, sent)
        .await
        .unwrap_or_else(|_| panic!("{method} {path} timed out"))
        .unwrap_or_else(|error| panic!("{method} {path}: {error}"));
    Answer::parse(status, &raw)
}

/// An HTTP answer, split into status, headers and (de-chunked) body.
pub(crate) struct Answer {
    /// The status code.
    pub status: u16,
    headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: String,
}

impl Answer {
    fn parse(status: u16, raw: &str) -> Self {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
        let headers: Vec<(String, String)> = head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let chunked =
            headers.iter().any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
        let body = if chunked { dechunk(body) } else { body.to_owned() };
        Self { status, headers, body }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(found, _)| found == name).map(|(_, value)| value.as_str())
    }

    /// The body as JSON; `Null` when it is not JSON (e.g. cut off).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Joins the chunks of a chunked body; a truncated one yields what arrived whole.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16) else { break };
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// Migrates the database at `url` and makes the superuser [`EMAIL`] of the organization
/// "Acme" (slug `acme`): one-shot commands refuse an unmigrated database.
pub(crate) fn migrate_with_superuser(dir: &Path, url: &str) {
    let (code, _, stderr) = run(baseops_on(dir, url).arg("migrate"));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(baseops_on(dir, url)
        .args(["createsuperuser", "--email", EMAIL, "--organization", "Acme"])
        .args(["--password-env", "ADMIN_PASSWORD"])
        .env("ADMIN_PASSWORD", PASSWORD));
    assert_eq!(code, 0, "{stderr}");
}

/// A number the database answers to `sql` (a `COUNT(*) AS n`), read while no server runs.
pub(crate) async fn count(url: &str, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let connection = Database::connect(url).await.unwrap();
    let row = connection
        .query_one_raw(Statement::from_string(connection.get_database_backend(), sql))
        .await
        .unwrap()
        .expect("a row");
    let n = row.try_get::<i64>("", "n").unwrap();
    connection.close().await.unwrap();
    n
}

/// A `baseops serve` child on a free loopback port, killed if the test fails first.
pub(crate) struct Server {
    child: tokio::process::Child,
    /// Where it listens.
    pub address: SocketAddr,
    /// What it printed before its address.
    pub first_lines: Vec<String>,
}

impl Server {
    /// Starts `serve` in `dir` on the database at `database_url`, once it listens.
    pub async fn start(dir: &Path, database_url: &str) -> Self {
        let mut command = tokio::process::Command::from(baseops_on(dir, database_url));
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("serve starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let prefix = "baseops is running at http://";
        let mut first_lines = Vec::new();
        let banner = tokio::time::timeout(PHASE_TIMEOUT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.strip_prefix(prefix) {
                    return rest.split_whitespace().next().unwrap_or_default().to_owned();
                }
                first_lines.push(line);
            }
            panic!("serve exited without printing its address");
        })
        .await
        .expect("serve printed its address");
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, address: banner.parse().expect("an address in the banner"), first_lines }
    }

    /// SIGKILL: no shutdown, in-flight requests and transactions cut off where they are.
    async fn kill(mut self) {
        self.child.start_kill().expect("serve is running");
        let status = tokio::time::timeout(PHASE_TIMEOUT, self.child.wait()).await.expect("killed").unwrap();
        assert_eq!(status.code(), None, "serve exited by itself before the kill: {status}");
    }

    /// SIGTERM, then its exit code.
    pub async fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().expect("still running").to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = tokio::time::timeout(PHASE_TIMEOUT, self.child.wait()).await.expect("stopped").unwrap();
        status.code()
    }
}

#[test]
fn chunked_bodies_are_joined() {
    assert_eq!(dechunk("4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"), "{\"a\":1}");
    assert_eq!(dechunk("4\r\n{\"a"), "", "a truncated chunk is dropped");
}
