//! Live push: the [`Hub`] hands each new in-app notification to the open streams of its user
//! in this process, and carries it between processes (a worker creates it, a server streams it).
//!
//! - On PostgreSQL (`notifications.fanout = "database"`), `pg_notify` in the creating
//!   transaction announces `<user>:<id>` at commit; each process LISTENs and loads the row
//!   only when it holds a stream of that user.
//! - With `fanout = "redis"`, the notification is published after commit on a Redis channel
//!   every process subscribes to.
//! - On SQLite there is one machine and usually one process (`serve --with-worker`): the
//!   hub delivers within the process.
//!
//! Live push is best effort; the list is the record. A client that reconnects sends
//! `Last-Event-ID` and receives what it missed (see the stream endpoint).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baseops_config::{Fanout, Settings};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, Statement};
use tokio::sync::{OnceCell, broadcast, watch};
use uuid::Uuid;

use crate::model::notification;
use crate::selector::NotificationOut;

/// The PostgreSQL channel new notifications are announced on.
pub const CHANNEL: &str = "baseops_notifications";

/// How many pushes a slow stream may fall behind before it is told to resync.
const STREAM_BUFFER: usize = 64;

/// A notification as pushed: its id (the SSE event id) and its JSON.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The notification's id.
    pub id: Uuid,
    /// [`NotificationOut`] as JSON.
    pub json: String,
}

impl Pushed {
    pub(crate) fn of(row: &notification::Model) -> Self {
        let json = serde_json::to_string(&NotificationOut::from(row.clone())).unwrap_or_default();
        Self { id: row.id, json }
    }
}

/// One open stream's side of the hub.
pub struct Subscription {
    /// New notifications of the user.
    pub pushes: broadcast::Receiver<Arc<Pushed>>,
    /// Becomes `true` when the process shuts down: the stream ends so shutdown can finish.
    pub closing: watch::Receiver<bool>,
}

enum Transport {
    Local,
    Postgres,
    Redis(Box<RedisTransport>),
}

struct RedisTransport {
    client: redis::Client,
    channel: String,
    publisher: OnceCell<redis::aio::ConnectionManager>,
}

struct Inner {
    streams: Mutex<HashMap<Uuid, broadcast::Sender<Arc<Pushed>>>>,
    closing: watch::Sender<bool>,
    max_per_user: usize,
    transport: Transport,
    db: DatabaseConnection,
    listening: AtomicBool,
    /// `true` while other processes' notifications are being received.
    ready: watch::Sender<bool>,
}

/// The live-push hub of this process, installed in the application state.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Hub {
    /// The hub `settings` ask for, over the write pool `db` (fresh reads after a commit).
    ///
    /// # Errors
    /// A Redis URL that does not parse.
    pub fn from_settings(settings: &Settings, db: DatabaseConnection) -> Result<Self, redis::RedisError> {
        let transport = match (settings.notifications.fanout, &settings.redis.url) {
            (Fanout::Redis, Some(url)) => Transport::Redis(Box::new(RedisTransport {
                client: redis::Client::open(url.expose())?,
                channel: format!("{}notifications", settings.redis.key_prefix),
                publisher: OnceCell::new(),
            })),
            _ if db.get_database_backend() == DatabaseBackend::Postgres => Transport::Postgres,
            _ => Transport::Local,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                streams: Mutex::default(),
                closing: watch::channel(false).0,
                max_per_user: settings.notifications.max_streams_per_user.max(1),
                transport,
                db,
                listening: AtomicBool::new(false),
                ready: watch::channel(false).0,
            }),
        })
    }

    /// Opens a stream for `user_id`; `None` when the user already holds the most allowed.
    pub fn subscribe(&self, user_id: Uuid) -> Option<Subscription> {
        self.start();
        let mut streams = self.inner.streams.lock().expect("streams");
        let sender = streams.entry(user_id).or_insert_with(|| broadcast::channel(STREAM_BUFFER).0);
        if sender.receiver_count() >= self.inner.max_per_user {
            return None;
        }
        Some(Subscription { pushes: sender.subscribe(), closing: self.inner.closing.subscribe() })
    }

    /// Ends every open stream (shutdown).
    pub fn close(&self) {
        let _ = self.inner.closing.send(true);
    }

    fn has_streams(&self, user_id: Uuid) -> bool {
        let streams = self.inner.streams.lock().expect("streams");
        streams.get(&user_id).is_some_and(|sender| sender.receiver_count() > 0)
    }

    /// Hands `pushed` to this process's streams of `user_id`.
    fn deliver(&self, user_id: Uuid, pushed: Pushed) {
        let mut streams = self.inner.streams.lock().expect("streams");
        if let Some(sender) = streams.get(&user_id)
            && sender.send(Arc::new(pushed)).is_err()
        {
            // Nobody listens any more: forget the user.
            streams.remove(&user_id);
        }
    }

    /// Inside the creating transaction: announces in-app `rows` on PostgreSQL (sent at commit).
    pub(crate) async fn announce(
        &self,
        txn: &impl ConnectionTrait,
        rows: &[notification::Model],
    ) -> Result<(), DbErr> {
        if !matches!(self.inner.transport, Transport::Postgres) {
            return Ok(());
        }
        for row in rows {
            let statement = Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), format!("{}:{}", row.user_id, row.id).into()],
            );
            txn.execute_raw(statement).await?;
        }
        Ok(())
    }

    /// After the creating transaction committed: delivers or publishes `rows` (PostgreSQL's
    /// were announced by the commit itself).
    pub(crate) async fn committed(&self, rows: Vec<notification::Model>) {
        match &self.inner.transport {
            Transport::Postgres => {}
            Transport::Local => {
                for row in rows {
                    self.deliver(row.user_id, Pushed::of(&row));
                }
            }
            Transport::Redis(redis) => {
                let connection = redis
                    .publisher
                    .get_or_try_init(|| ::redis::aio::ConnectionManager::new(redis.client.clone()))
                    .await;
                let mut connection = match connection {
                    Ok(connection) => connection.clone(),
                    Err(error) => {
                        tracing::warn!(%error, "cannot publish live notifications; they show on the next list");
                        return;
                    }
                };
                for row in rows {
                    let message = serde_json::json!({ "user_id": row.user_id, "id": row.id, "json": Pushed::of(&row).json });
                    let published: Result<i64, _> = ::redis::cmd("PUBLISH")
                        .arg(&redis.channel)
                        .arg(message.to_string())
                        .query_async(&mut connection)
                        .await;
                    if let Err(error) = published {
                        tracing::warn!(%error, "cannot publish a live notification");
                    }
                }
            }
        }
    }

    /// Waits until this process receives other processes' notifications (at once within one
    /// process on SQLite); `false` after `timeout`.
    pub async fn wait_until_listening(&self, timeout: Duration) -> bool {
        if matches!(self.inner.transport, Transport::Local) {
            return true;
        }
        self.start();
        let mut ready = self.inner.ready.subscribe();
        tokio::time::timeout(timeout, ready.wait_for(|ready| *ready)).await.is_ok_and(|waited| waited.is_ok())
    }

    /// Starts receiving other processes' notifications (once per process; the first stream
    /// starts it too, but a server starts it at boot so the first stream misses nothing).
    pub fn start(&self) {
        if matches!(self.inner.transport, Transport::Local)
            || self.inner.listening.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let hub = self.clone();
        tokio::spawn(async move {
            let mut closing = hub.inner.closing.subscribe();
            loop {
                let outcome = tokio::select! {
                    outcome = hub.listen() => outcome,
                    _ = closing.changed() => return,
                };
                hub.inner.ready.send_replace(false);
                if let Err(error) = outcome {
                    tracing::warn!(%error, "live notifications interrupted; reconnecting");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    async fn listen(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        match &self.inner.transport {
            Transport::Local => Ok(()),
            Transport::Postgres => {
                let mut listener = baseops_db::listener(&self.inner.db).await?;
                listener.listen(CHANNEL).await?;
                self.inner.ready.send_replace(true);
                loop {
                    let message = listener.recv().await?;
                    let Some((user, id)) = message.payload().split_once(':') else { continue };
                    let (Ok(user_id), Ok(id)) = (user.parse::<Uuid>(), id.parse::<Uuid>()) else { continue };
                    if !self.has_streams(user_id) {
                        continue;
                    }
                    if let Some(row) = notification::Entity::find_by_id(id).one(&self.inner.db).await? {
                        self.deliver(user_id, Pushed::of(&row));
                    }
                }
            }
            Transport::Redis(redis) => {
                let mut pubsub = redis.client.get_async_pubsub().await?;
                pubsub.subscribe(&redis.channel).await?;
                self.inner.ready.send_replace(true);
                let mut messages = pubsub.on_message();
                while let Some(message) = messages.next().await {
                    let payload: String = message.get_payload()?;
                    let Ok(value) = serde_json::from_str::<serde_json::Value>(&payload) else { continue };
                    let user_id = value["user_id"].as_str().and_then(|id| id.parse::<Uuid>().ok());
                    let id = value["id"].as_str().and_then(|id| id.parse::<Uuid>().ok());
                    let (Some(user_id), Some(id), Some(json)) = (user_id, id, value["json"].as_str()) else {
                        continue;
                    };
                    if self.has_streams(user_id) {
                        self.deliver(user_id, Pushed { id, json: json.to_owned() });
                    }
                }
                Err("the Redis subscription ended".into())
            }
        }
    }
}

/// The `serve` process's background task: receives other processes' notifications from the
/// start (so the first stream misses nothing), and ends every stream at shutdown — they
/// never end by themselves, and the server's graceful shutdown waits for open responses.
pub(crate) async fn run(state: baseops_core::AppState, mut stop: watch::Receiver<bool>) {
    let Some(hub) = state.extension::<Hub>().cloned() else { return };
    hub.start();
    let _ = stop.wait_for(|stop| *stop).await;
    hub.close();
}
