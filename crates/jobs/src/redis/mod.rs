//! The Redis backend (`jobs.backend = "redis"`): workers claim from Redis instead of the
//! `jobs` table, and block on Redis instead of polling the database.
//!
//! The `jobs` row stays the record and the outbox: it is written in the caller's transaction
//! as with the database backend, so a job exists exactly when its change committed and
//! de-duplication keeps its unique index. A relay in each worker process (one at a time holds
//! the relay lock) moves due rows into Redis in batches and marks them `queued` in the same
//! transaction — pushing a job twice is a no-op, so a crash between the push and the commit
//! is harmless. Redis then holds the dispatch state (ready, scheduled and running sets, leases,
//! attempts; see `scripts.rs`), every change of it one Lua script, and outcomes go back to the
//! rows in batches. See `docs/decisions/0010-redis-job-backend.md`.

mod relay;
mod scripts;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use ::redis::{AsyncConnectionConfig, Client, RedisError, Value};
use baseops_core::AppState;
use baseops_db::WriteConnection;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::backend::{Finished, JobQueue, QueueError, Wake, listen_postgres, local};
use crate::queue::database::is_last_attempt;
use crate::queue::{Claimed, backoff, state};

/// Most rows one relay pass moves per queue.
const RELAY_BATCH: u64 = 500;
/// Most jobs waiting in Redis per queue; beyond it rows wait in the database, which is the
/// better place for a large backlog (Redis holds the next few seconds of work).
const RELAY_WINDOW: u64 = 5_000;
/// Queued rows one sweep batch looks at, and batches per sweep.
const SWEEP_BATCH: u64 = 500;
const MAX_SWEEP_BATCHES: usize = 20;

/// Why a relay pass failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RelayError {
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Redis(#[from] RedisError),
}

/// What a worker needs of a job, as Redis holds it (`data` of the job hash).
#[derive(Debug, Serialize, Deserialize)]
struct Data {
    name: String,
    payload: String,
    max_attempts: i32,
    timeout_secs: i32,
    organization_id: Option<Uuid>,
    request_id: Option<String>,
}

/// A Lua script run by its SHA1, loaded on first use and again after a Redis restart.
struct Script {
    source: &'static str,
    sha: Mutex<Option<String>>,
}

impl Script {
    const fn new(source: &'static str) -> Self {
        Self { source, sha: Mutex::new(None) }
    }

    async fn run(&self, redis: &mut ConnectionManager, args: &[String]) -> Result<Value, RedisError> {
        let known = self.sha.lock().expect("script sha").clone();
        if let Some(sha) = known {
            match ::redis::cmd("EVALSHA").arg(&sha).arg(0).arg(args).query_async(redis).await {
                Err(error) if error.code() == Some("NOSCRIPT") => {}
                other => return other,
            }
        }
        let sha: String = ::redis::cmd("SCRIPT").arg("LOAD").arg(self.source).query_async(redis).await?;
        *self.sha.lock().expect("script sha") = Some(sha.clone());
        ::redis::cmd("EVALSHA").arg(&sha).arg(0).arg(args).query_async(redis).await
    }
}

struct Scripts {
    push: Script,
    confirm: Script,
    claim: Script,
    complete: Script,
    fail: Script,
    heartbeat: Script,
    release: Script,
    room: Script,
    lead: Script,
}

struct Inner {
    client: Client,
    redis: ConnectionManager,
    /// The connection idle workers block on (a blocking command would stall the shared one).
    blocking: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    /// `<redis.key_prefix>{jobs}:`.
    prefix: String,
    db: WriteConnection,
    /// How long a queued row stays Redis's without the sweep renewing it.
    relay_lease: Duration,
    poll: Duration,
    scripts: Scripts,
}

/// Jobs dispatched through Redis; the `jobs` table stays the record. Cheap to clone.
#[derive(Clone)]
pub struct RedisQueue {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue").field("prefix", &self.inner.prefix).finish_non_exhaustive()
    }
}

fn millis(at: chrono::DateTime<Utc>) -> String {
    at.timestamp_millis().to_string()
}

fn ids_of(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        _ => Vec::new(),
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        other => text(other).and_then(|text| text.parse().ok()),
    }
}

impl RedisQueue {
    /// The queue at `redis.url`, keys under `redis.key_prefix`, rows on the write pool.
    /// Connects at first use.
    ///
    /// # Errors
    /// No `redis.url`, or one that does not parse.
    pub fn from_settings(state: &AppState) -> Result<Self, QueueError> {
        let settings = state.settings();
        let url = settings.redis.url.as_ref().ok_or_else(|| {
            QueueError::Settings("jobs.backend is redis but redis.url (BASEOPS_REDIS__URL) is not set".into())
        })?;
        let client = Client::open(url.expose())?;
        let redis = ConnectionManager::new_lazy_with_config(client.clone(), ConnectionManagerConfig::new())?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                redis,
                blocking: tokio::sync::Mutex::new(None),
                prefix: format!("{}{{jobs}}:", settings.redis.key_prefix),
                db: state.db().write().clone(),
                relay_lease: Duration::from_secs(settings.jobs.lease_secs.max(1)),
                poll: Duration::from_millis(settings.jobs.poll_interval_ms.max(10)),
                scripts: Scripts {
                    push: Script::new(scripts::PUSH),
                    confirm: Script::new(scripts::CONFIRM),
                    claim: Script::new(scripts::CLAIM),
                    complete: Script::new(scripts::COMPLETE),
                    fail: Script::new(scripts::FAIL),
                    heartbeat: Script::new(scripts::HEARTBEAT),
                    release: Script::new(scripts::RELEASE),
                    room: Script::new(scripts::ROOM),
                    lead: Script::new(scripts::LEAD),
                },
            }),
        })
    }

    /// The prefix of every key this queue uses (`<redis.key_prefix>{jobs}:`).
    pub fn key_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// One relay pass over `queues`: moves due rows into Redis (as many as the window
    /// allows, in batches). The worker's relay task calls it; returns how many rows moved.
    ///
    /// # Errors
    /// Database or Redis errors; rows stay `pending` then.
    pub async fn relay_once(&self, queues: &[String]) -> Result<usize, QueueError> {
        let mut moved = 0;
        loop {
            let pass = self.inner.relay(queues).await.map_err(|error| match error {
                RelayError::Database(error) => QueueError::Database(error),
                RelayError::Redis(error) => QueueError::Redis(error),
            })?;
            moved += pass.moved;
            if !pass.more {
                return Ok(moved);
            }
        }
    }

    /// One sweep: reconciles queued rows whose relay lease ran out with what Redis holds.
    /// Returns how many rows were put back to `pending` because Redis lost them.
    ///
    /// # Errors
    /// Database or Redis errors.
    pub async fn sweep(&self) -> Result<u64, QueueError> {
        let mut requeued = 0;
        // A bounded number of batches per sweep; what is left waits for the next one.
        for _ in 0..MAX_SWEEP_BATCHES {
            let (swept, lost) = self.inner.sweep().await?;
            requeued += lost;
            if swept < SWEEP_BATCH as usize {
                break;
            }
        }
        Ok(requeued)
    }
}

impl Inner {
    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    async fn script(&self, script: &Script, args: Vec<String>) -> Result<Value, RedisError> {
        let mut redis = self.redis.clone();
        script.run(&mut redis, &args).await
    }

    /// One relay batch.
    async fn relay(&self, queues: &[String]) -> Result<Pass, RelayError> {
        let mut args = vec![self.prefix.clone(), RELAY_WINDOW.to_string()];
        args.extend(queues.iter().cloned());
        let room = self.script(&self.scripts.room, args).await?;
        let limits: Vec<(String, u64)> = queues
            .iter()
            .zip(ids_of(&room))
            .filter_map(|(queue, room)| {
                let room = u64::try_from(number(room)?).ok()?;
                (room > 0).then(|| (queue.clone(), room.min(RELAY_BATCH)))
            })
            .collect();
        if limits.is_empty() {
            return Ok(Pass { moved: 0, more: false, full: true });
        }
        let horizon =
            Utc::now() + chrono::Duration::from_std(self.poll).unwrap_or(chrono::Duration::seconds(1));
        let (ids, per_queue) =
            relay::relay(&self.db, &limits, horizon, self.relay_lease, |rows| async move {
                let mut args = vec![self.prefix.clone()];
                for row in rows {
                    let data = Data {
                        name: row.job.name,
                        payload: row.job.payload,
                        max_attempts: row.job.max_attempts,
                        timeout_secs: row.job.timeout_secs,
                        organization_id: row.job.organization_id,
                        request_id: row.job.request_id,
                    };
                    args.extend([
                        row.job.id.to_string(),
                        row.queue,
                        row.priority.to_string(),
                        millis(row.run_at),
                        row.job.attempts.to_string(),
                        serde_json::to_string(&data).expect("job data serializes"),
                    ]);
                }
                self.script(&self.scripts.push, args).await.map(drop)
            })
            .await?;
        // If this fails the jobs stay staged: the sweep confirms them.
        self.confirm(&ids).await?;
        let moved: usize = per_queue.iter().sum();
        metrics::counter!("jobs_relayed_total").increment(moved as u64);
        let more = per_queue.iter().zip(&limits).any(|(moved, (_, limit))| *moved as u64 >= *limit);
        Ok(Pass { moved, more, full: false })
    }

    /// One sweep batch; returns how many rows it looked at and how many Redis had lost.
    async fn sweep(&self) -> Result<(usize, u64), QueueError> {
        let ids = relay::due_for_sweep(&self.db, SWEEP_BATCH).await?;
        if ids.is_empty() {
            return Ok((0, 0));
        }
        let mut pipe = ::redis::pipe();
        for id in &ids {
            pipe.cmd("HMGET")
                .arg(self.key(&format!("job:{id}")))
                .arg(&["queue", "outcome", "attempts", "error", "finished", "keep"]);
        }
        let mut redis = self.redis.clone();
        let found: Vec<Vec<Option<String>>> = pipe.query_async(&mut redis).await?;
        let (mut live, mut lost, mut done, mut tombstones) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (id, fields) in ids.iter().zip(found) {
            let field = |n: usize| fields.get(n).cloned().flatten();
            let attempts = field(2).and_then(|n| n.parse().ok()).unwrap_or(0);
            let finished = field(4)
                .and_then(|ms| ms.parse().ok())
                .and_then(chrono::DateTime::from_timestamp_millis)
                .unwrap_or_else(Utc::now);
            match (field(0), field(1).as_deref()) {
                (None, _) => lost.push(*id),
                (Some(_), Some("done")) => {
                    let done_job = relay::Done {
                        id: *id,
                        attempts,
                        keep_input: field(5).as_deref() != Some("0"),
                        last_error: field(3).filter(|error| !error.is_empty()),
                    };
                    done.push((done_job, finished));
                }
                (Some(_), Some(_)) => {
                    relay::write_dead(&self.db, *id, attempts, &field(3).unwrap_or_default(), finished)
                        .await?;
                    tombstones.push(*id);
                }
                (Some(_), None) => live.push(*id),
            }
        }
        // A relay that stopped between its commit and the confirmation left these staged.
        self.confirm(&live).await?;
        for (done_job, finished) in done {
            tombstones.push(done_job.id);
            relay::write_done(&self.db, &[done_job], finished).await?;
        }
        relay::renew(&self.db, &live, self.relay_lease).await?;
        let requeued = relay::requeue(&self.db, &lost).await?;
        self.forget(&tombstones).await?;
        if requeued > 0 {
            tracing::warn!(requeued, "jobs queued in Redis were lost there; they are relayed again");
        }
        Ok((ids.len(), requeued))
    }

    /// Makes staged jobs claimable (their rows are `queued` now).
    async fn confirm(&self, ids: &[Uuid]) -> Result<(), RedisError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut args = vec![self.prefix.clone(), Utc::now().timestamp_millis().to_string()];
        args.extend(ids.iter().map(Uuid::to_string));
        self.script(&self.scripts.confirm, args).await.map(drop)
    }

    /// Deletes tombstones whose outcome the database now has.
    async fn forget(&self, ids: &[Uuid]) -> Result<(), RedisError> {
        if ids.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = ids.iter().map(|id| self.key(&format!("job:{id}"))).collect();
        let mut redis = self.redis.clone();
        ::redis::cmd("DEL").arg(keys).query_async::<()>(&mut redis).await
    }

    /// Takes or renews the relay lock for `me`.
    async fn lead(&self, me: &str, release: bool) -> Result<bool, RedisError> {
        let ttl = (self.poll * 3).max(Duration::from_secs(5));
        let args = vec![
            self.prefix.clone(),
            me.to_owned(),
            ttl.as_millis().to_string(),
            if release { "1" } else { "0" }.to_owned(),
        ];
        Ok(number(&self.script(&self.scripts.lead, args).await?) == Some(1))
    }

    async fn blocking(&self) -> Result<MultiplexedConnection, RedisError> {
        let mut connection = self.blocking.lock().await;
        if let Some(connection) = connection.as_ref() {
            return Ok(connection.clone());
        }
        // No response time-out: a blocked pop answers after its own time-out.
        let config = AsyncConnectionConfig::new().set_response_timeout(None);
        let opened = self.client.get_multiplexed_async_connection_with_config(&config).await?;
        *connection = Some(opened.clone());
        Ok(opened)
    }

    /// Blocks until a wake-up token for one of `keys` arrives or `timeout` passes.
    async fn wait(&self, keys: &[String], timeout: Duration) -> Result<bool, RedisError> {
        let mut connection = self.blocking().await?;
        let seconds = timeout.as_secs_f64().max(0.01);
        let popped: Result<Option<(String, String)>, RedisError> =
            ::redis::cmd("BLPOP").arg(keys).arg(seconds).query_async(&mut connection).await;
        if popped.is_err() {
            // Reconnect next time.
            *self.blocking.lock().await = None;
        }
        Ok(popped?.is_some())
    }

    /// The relay task of a worker taking `queues`: while this worker holds the relay lock,
    /// moves due rows into Redis when woken (PostgreSQL notifications, enqueues in this
    /// process) or every poll interval, and sweeps every third of the relay lease.
    async fn relay_loop(self: Arc<Self>, me: String, queues: Vec<String>, mut stop: watch::Receiver<bool>) {
        let sweep_every = self.relay_lease / 3;
        let mut last_sweep: Option<Instant> = None;
        // After relaying, look again after 2, 4, … 64 ms (notifications are debounced, see
        // `queue::enqueue`), then every poll interval.
        let mut linger: Option<Duration> = None;
        while !*stop.borrow() {
            let notified = local().notified();
            let leader = match self.lead(&me, false).await {
                Ok(leader) => leader,
                Err(error) => {
                    tracing::warn!(%error, "cannot reach Redis for the job relay");
                    false
                }
            };
            if leader {
                if last_sweep.is_none_or(|at| at.elapsed() >= sweep_every) {
                    last_sweep = Some(Instant::now());
                    if let Err(error) = (RedisQueue { inner: self.clone() }).sweep().await {
                        tracing::warn!(%error, "cannot sweep jobs queued in Redis");
                    }
                }
                match self.relay(&queues).await {
                    Ok(Pass { more: true, .. }) => continue,
                    // Workers drain the window quickly while a backlog waits in the database.
                    Ok(Pass { full: true, .. }) => linger = Some(WINDOW_FULL_RETRY),
                    Ok(Pass { moved: 0, .. }) => {
                        linger = linger.map(|step| step * 2).filter(|step| *step <= LINGER_LAST);
                    }
                    Ok(_) => linger = Some(LINGER_FIRST),
                    Err(error) => {
                        tracing::warn!(%error, "cannot relay jobs to Redis; retrying");
                        linger = None;
                    }
                }
            }
            let wait = linger.unwrap_or(self.poll).min(self.poll);
            tokio::select! {
                () = notified => linger = Some(LINGER_FIRST),
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        // Let another worker's relay take over at once.
        let _ = self.lead(&me, true).await;
    }
}

const LINGER_FIRST: Duration = Duration::from_millis(2);
const LINGER_LAST: Duration = Duration::from_millis(64);
/// How soon the relay looks again while Redis holds a full window.
const WINDOW_FULL_RETRY: Duration = Duration::from_millis(10);

/// What one relay batch did.
struct Pass {
    /// Rows moved into Redis.
    moved: usize,
    /// A queue filled its batch: more rows may be due.
    more: bool,
    /// Every queue's window was full: nothing was read from the database.
    full: bool,
}

#[async_trait::async_trait]
impl JobQueue for RedisQueue {
    async fn claim(
        &self,
        worker: &str,
        queues: &[String],
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Claimed>, QueueError> {
        if queues.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
        let mut args =
            vec![self.inner.prefix.clone(), millis(now), millis(until), limit.to_string(), worker.to_owned()];
        args.extend(queues.iter().cloned());
        let claimed = self.inner.script(&self.inner.scripts.claim, args).await?;
        let items = ids_of(&claimed);
        let mut jobs = Vec::with_capacity(items.len() / 3);
        for triple in items.chunks(3) {
            let [id, attempts, data] = triple else { continue };
            let (Some(id), Some(attempts), Some(data)) = (text(id), number(attempts), text(data)) else {
                continue;
            };
            let Ok(id) = Uuid::parse_str(&id) else { continue };
            let data: Data = serde_json::from_str(&data).map_err(|error| {
                QueueError::Settings(format!("job {id} in Redis does not parse: {error}"))
            })?;
            jobs.push(Claimed {
                id,
                name: data.name,
                payload: data.payload,
                attempts: i32::try_from(attempts).unwrap_or(i32::MAX),
                max_attempts: data.max_attempts,
                timeout_secs: data.timeout_secs,
                organization_id: data.organization_id,
                request_id: data.request_id,
            });
        }
        Ok(jobs)
    }

    async fn complete(&self, worker: &str, finished: &[Finished]) -> Result<u64, QueueError> {
        if finished.is_empty() {
            return Ok(0);
        }
        let now = Utc::now();
        let mut args = vec![self.inner.prefix.clone(), worker.to_owned(), millis(now)];
        for done in finished {
            args.push(done.id.to_string());
            args.push(if done.keep_input { "1" } else { "0" }.to_owned());
        }
        let held = self.inner.script(&self.inner.scripts.complete, args).await?;
        let blanked: std::collections::HashSet<Uuid> =
            finished.iter().filter(|job| !job.keep_input).map(|job| job.id).collect();
        let mut done = Vec::new();
        for triple in ids_of(&held).chunks(3) {
            let [id, attempts, error] = triple else { continue };
            let Some(id) = text(id).and_then(|id| Uuid::parse_str(&id).ok()) else { continue };
            let attempts = number(attempts).and_then(|n| i32::try_from(n).ok()).unwrap_or(1);
            let error = text(error).filter(|error| !error.is_empty());
            done.push(relay::Done { id, attempts, keep_input: !blanked.contains(&id), last_error: error });
        }
        // The tombstones stay until the rows say done: if this write fails, the sweep
        // writes them later.
        relay::write_done(&self.inner.db, &done, now).await?;
        let ids: Vec<Uuid> = done.iter().map(|done| done.id).collect();
        self.inner.forget(&ids).await?;
        Ok(ids.len() as u64)
    }

    async fn fail(
        &self,
        worker: &str,
        job: &Claimed,
        error: &str,
        permanent: bool,
        backoff_base: Duration,
    ) -> Result<&'static str, QueueError> {
        let now = Utc::now();
        let dead = is_last_attempt(job, permanent);
        let error: String = error.chars().take(4000).collect();
        let retry_at = now
            + chrono::Duration::from_std(backoff(job.attempts, backoff_base))
                .unwrap_or(chrono::Duration::hours(1));
        let args = vec![
            self.inner.prefix.clone(),
            worker.to_owned(),
            job.id.to_string(),
            millis(now),
            if dead { "1" } else { "0" }.to_owned(),
            millis(retry_at),
            error.clone(),
        ];
        let held = self.inner.script(&self.inner.scripts.fail, args).await?;
        let next = if dead { state::DEAD } else { state::PENDING };
        let Some(attempts) = number(&held).and_then(|n| i32::try_from(n).ok()) else {
            return Ok(next);
        };
        if dead {
            relay::write_dead(&self.inner.db, job.id, attempts, &error, now).await?;
            self.inner.forget(&[job.id]).await?;
        } else {
            relay::write_retry(&self.inner.db, job.id, attempts, &error, retry_at).await?;
        }
        Ok(next)
    }

    async fn heartbeat(&self, worker: &str, ids: &[Uuid], lease: Duration) -> Result<(), QueueError> {
        if ids.is_empty() {
            return Ok(());
        }
        let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
        let mut args = vec![self.inner.prefix.clone(), worker.to_owned(), millis(until)];
        args.extend(ids.iter().map(Uuid::to_string));
        self.inner.script(&self.inner.scripts.heartbeat, args).await?;
        Ok(())
    }

    async fn release(&self, worker: &str, ids: &[Uuid]) -> Result<(), QueueError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut args = vec![self.inner.prefix.clone(), worker.to_owned()];
        args.extend(ids.iter().map(Uuid::to_string));
        self.inner.script(&self.inner.scripts.release, args).await?;
        Ok(())
    }

    fn wake(&self, queues: &[String], timeout: Duration) -> Wake {
        let inner = self.inner.clone();
        let keys: Vec<String> = queues.iter().map(|queue| inner.key(&format!("wake:{queue}"))).collect();
        Box::pin(async move {
            match inner.wait(&keys, timeout).await {
                Ok(woken) => woken,
                Err(error) => {
                    tracing::warn!(%error, "cannot wait for jobs on Redis");
                    tokio::time::sleep(timeout).await;
                    false
                }
            }
        })
    }

    /// Tokens are pushed whenever jobs become ready, so no wake-up is missed; due retries and
    /// delayed jobs are found by the poll.
    fn lingers(&self) -> bool {
        false
    }

    fn start(&self, worker: &str, queues: &[String], stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        let mut tasks: Vec<JoinHandle<()>> =
            listen_postgres(&self.inner.db, stop.clone()).into_iter().collect();
        let relay = self.inner.clone().relay_loop(worker.to_owned(), queues.to_vec(), stop);
        tasks.push(tokio::spawn(relay));
        tasks
    }
}
