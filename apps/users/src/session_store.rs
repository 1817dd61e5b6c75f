//! Where browser sessions live: the `sessions` table (default), or Redis when
//! `session.store = "redis"`, where idle and absolute expiry become key TTLs.
//!
//! With the database store every change is part of the caller's transaction. Redis is not
//! transactional with the database: removals happen at once, even if the caller's
//! transaction later rolls back — ending sessions early is the safe direction to err in.

use std::sync::Arc;

use baseops_config::{SessionStoreKind, Settings};
use baseops_core::{ApiError, AppState};
use chrono::{DateTime, Duration, Utc};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::model::session;
use crate::secret::digest;

/// A session store that cannot be set up from the settings.
pub type StoreError = redis::RedisError;

/// The configured session store; cheap to clone.
#[derive(Clone, Debug, Default)]
pub enum SessionStore {
    /// The `sessions` table.
    #[default]
    Database,
    /// Redis.
    Redis(Arc<RedisSessions>),
}

/// Sessions in Redis: `<prefix>session:<token digest>` holds the session as JSON, with a TTL;
/// `<prefix>user_sessions:<user id>` is the set of a user's session digests.
pub struct RedisSessions {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    prefix: String,
}

impl std::fmt::Debug for RedisSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessions").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

fn unavailable(error: redis::RedisError) -> ApiError {
    tracing::error!(%error, "session store (Redis) failed");
    ApiError::Unavailable("The session store is unavailable; retry shortly.".into())
}

/// Most sessions `GET /me/sessions` lists.
pub const MAX_LISTED_SESSIONS: u64 = 200;

fn idle(settings: &Settings) -> Duration {
    Duration::minutes(i64::try_from(settings.session.idle_minutes).unwrap_or(i64::MAX / 60_000))
}

impl SessionStore {
    /// The store `settings` ask for. Connecting to Redis happens at first use.
    ///
    /// # Errors
    /// A Redis URL that does not parse.
    pub fn from_settings(settings: &Settings) -> Result<Self, redis::RedisError> {
        match (settings.session.store, &settings.redis.url) {
            (SessionStoreKind::Redis, Some(url)) => Ok(Self::Redis(Arc::new(RedisSessions {
                client: redis::Client::open(url.expose())?,
                connection: OnceCell::new(),
                prefix: settings.redis.key_prefix.clone(),
            }))),
            _ => Ok(Self::Database),
        }
    }

    /// The store installed in the application state (the database when none is).
    pub fn of(state: &AppState) -> Self {
        state.extension::<Self>().cloned().unwrap_or_default()
    }

    /// Stores a new session.
    ///
    /// # Errors
    /// Database or Redis errors.
    pub async fn insert(
        &self,
        db: &impl ConnectionTrait,
        settings: &Settings,
        row: &session::Model,
    ) -> Result<(), ApiError> {
        match self {
            Self::Database => {
                session::Entity::insert(row.clone().into_active_model()).exec_without_returning(db).await?;
                Ok(())
            }
            Self::Redis(redis) => redis.put(settings, row, Utc::now()).await,
        }
    }

    /// The live session a cookie value names: not past its absolute expiry nor idle too long.
    ///
    /// # Errors
    /// Database or Redis errors.
    pub async fn find_live(
        &self,
        db: &impl ConnectionTrait,
        settings: &Settings,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<session::Model>, ApiError> {
        if token.len() > 100 {
            return Ok(None);
        }
        let found = match self {
            Self::Database => {
                session::Entity::find().filter(session::Column::TokenHash.eq(digest(token))).one(db).await?
            }
            Self::Redis(redis) => redis.get(&digest(token)).await?,
        };
        Ok(found.filter(|row| row.expires_at > now && row.last_seen_at > now - idle(settings)))
    }

    /// A user's live sessions, the most recently used first, at most [`MAX_LISTED_SESSIONS`].
    ///
    /// # Errors
    /// Database or Redis errors.
    pub async fn list_for_user(
        &self,
        db: &impl ConnectionTrait,
        settings: &Settings,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<session::Model>, ApiError> {
        let live_after = now - idle(settings);
        let mut found = match self {
            Self::Database => {
                session::Entity::find()
                    .filter(session::Column::UserId.eq(user_id))
                    .filter(session::Column::ExpiresAt.gt(now))
                    .filter(session::Column::LastSeenAt.gt(live_after))
                    .order_by_desc(session::Column::LastSeenAt)
                    .limit(MAX_LISTED_SESSIONS)
                    .all(db)
                    .await?
            }
            Self::Redis(redis) => redis.list_for_user(user_id).await?,
        };
        found.retain(|row| row.expires_at > now && row.last_seen_at > live_after);
        found.sort_by_key(|row| std::cmp::Reverse(row.last_seen_at));
        found.truncate(usize::try_from(MAX_LISTED_SESSIONS).unwrap_or(usize::MAX));
        Ok(found)
    }

    /// Marks a session used, at most once a minute.
    ///
    /// # Errors
    /// Database or Redis errors.
    pub async fn touch(
        &self,
        db: &impl ConnectionTrait,
        settings: &Settings,
        row: &session::Model,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        if now - row.last_seen_at < Duration::seconds(60) {
            return Ok(());
        }
        match self {
            Self::Database => {
                session::Entity::update_many()
                    .col_expr(session::Column::LastSeenAt, sea_orm::sea_query::Expr::value(now))
                    .filter(session::Column::Id.eq(row.id))
                    .exec(db)
                    .await?;
                Ok(())
            }
            Self::Redis(redis) => {
                redis.refresh(settings, &session::Model { last_seen_at: now, ..row.clone() }, now).await
            }
        }
    }

    /// Ends the session a cookie value names, if any.
    ///
    /// # Errors
    /// Database or Redis errors.
    pub async fn remove_token(&self, db: &impl ConnectionTrait, token: &str) -> Result<(), ApiError> {
        let token_hash = digest(token);
        match self {
            Self::Database => {
                session::Entity::delete_many()
                    .filter(session::Column::TokenHash.eq(token_hash))
                    .exec(db)
                    .await?;
                Ok(())
            }
            Self::Redis(redis) => {
                if let Some(row) = redis.get(&token_hash).await? {
                    redis.remove(&row).await?;
                }
                Ok(())
            }
        }
    }

    /// Ends one session.
    ///
    /// # Errors
    /// Database or Redis errors.
    pub async fn remove(&self, db: &impl ConnectionTrait, row: &session::Model) -> Result<(), ApiError> {
        match self {
            Self::Database => {
                session::Entity::delete_by_id(row.id).exec(db).await?;
                Ok(())
            }
            Self::Redis(redis) => redis.remove(row).await,
        }
    }

    /// Ends every session of a user but `keep`; returns how many ended.
    ///
    /// # Errors
    /// Database or Redis errors.
    pub async fn remove_for_user(
        &self,
        db: &impl ConnectionTrait,
        user_id: Uuid,
        keep: Option<Uuid>,
    ) -> Result<u64, ApiError> {
        match self {
            Self::Database => {
                let mut delete = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
                if let Some(keep) = keep {
                    delete = delete.filter(session::Column::Id.ne(keep));
                }
                Ok(delete.exec(db).await?.rows_affected)
            }
            Self::Redis(redis) => redis.remove_for_user(user_id, keep).await,
        }
    }
}

impl RedisSessions {
    async fn connection(&self) -> Result<ConnectionManager, ApiError> {
        let connection = self
            .connection
            .get_or_try_init(|| async { ConnectionManager::new(self.client.clone()).await })
            .await
            .map_err(unavailable)?;
        Ok(connection.clone())
    }

    fn session_key(&self, token_hash: &str) -> String {
        format!("{}session:{token_hash}", self.prefix)
    }

    fn user_key(&self, user_id: Uuid) -> String {
        format!("{}user_sessions:{user_id}", self.prefix)
    }

    async fn put(
        &self,
        settings: &Settings,
        row: &session::Model,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let Some((json, ttl)) = stored(settings, row, now)? else { return Ok(()) };
        let mut connection = self.connection().await?;
        let user_key = self.user_key(row.user_id);
        let max_age = u64::try_from((row.expires_at - now).num_seconds()).unwrap_or(0).max(1);
        redis::pipe()
            .atomic()
            .set_ex(self.session_key(&row.token_hash), json, ttl)
            .sadd(&user_key, &row.token_hash)
            .expire(&user_key, i64::try_from(max_age).unwrap_or(i64::MAX))
            .query_async::<()>(&mut connection)
            .await
            .map_err(unavailable)
    }

    /// Writes a session's new last-seen time only if the session still exists (`SET … XX`):
    /// another node may have ended it since this one read it, and a refresh must never bring
    /// back a session that a logout, a password change or a deactivation removed.
    async fn refresh(
        &self,
        settings: &Settings,
        row: &session::Model,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let Some((json, ttl)) = stored(settings, row, now)? else { return Ok(()) };
        let mut connection = self.connection().await?;
        redis::cmd("SET")
            .arg(self.session_key(&row.token_hash))
            .arg(json)
            .arg("EX")
            .arg(ttl)
            .arg("XX")
            .query_async::<redis::Value>(&mut connection)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn get(&self, token_hash: &str) -> Result<Option<session::Model>, ApiError> {
        let mut connection = self.connection().await?;
        let json: Option<String> = connection.get(self.session_key(token_hash)).await.map_err(unavailable)?;
        Ok(json.and_then(|json| serde_json::from_str::<Stored>(&json).ok()).map(Into::into))
    }

    async fn remove(&self, row: &session::Model) -> Result<(), ApiError> {
        let mut connection = self.connection().await?;
        redis::pipe()
            .atomic()
            .del(self.session_key(&row.token_hash))
            .srem(self.user_key(row.user_id), &row.token_hash)
            .query_async::<()>(&mut connection)
            .await
            .map_err(unavailable)
    }

    async fn list_for_user(&self, user_id: Uuid) -> Result<Vec<session::Model>, ApiError> {
        let mut connection = self.connection().await?;
        let hashes: Vec<String> = connection.smembers(self.user_key(user_id)).await.map_err(unavailable)?;
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        // One round trip for all of them; expired ones come back empty.
        let keys: Vec<String> = hashes.iter().map(|hash| self.session_key(hash)).collect();
        let values: Vec<Option<String>> = connection.mget(keys).await.map_err(unavailable)?;
        Ok(values
            .into_iter()
            .flatten()
            .filter_map(|json| serde_json::from_str::<Stored>(&json).ok())
            .map(Into::into)
            .collect())
    }

    async fn remove_for_user(&self, user_id: Uuid, keep: Option<Uuid>) -> Result<u64, ApiError> {
        let mut connection = self.connection().await?;
        let hashes: Vec<String> = connection.smembers(self.user_key(user_id)).await.map_err(unavailable)?;
        let mut removed = 0;
        for hash in hashes {
            match self.get(&hash).await? {
                Some(row) if Some(row.id) == keep => {}
                Some(row) => {
                    self.remove(&row).await?;
                    removed += 1;
                }
                // Expired already: only the set entry is left.
                None => {
                    let _: () = connection.srem(self.user_key(user_id), &hash).await.map_err(unavailable)?;
                }
            }
        }
        Ok(removed)
    }
}

/// A session's Redis value and its time to live (at least a second); `None` once it is over.
fn stored(
    settings: &Settings,
    row: &session::Model,
    now: DateTime<Utc>,
) -> Result<Option<(String, u64)>, ApiError> {
    let Ok(ttl) = u64::try_from((row.expires_at - now).min(idle(settings)).num_seconds()) else {
        return Ok(None);
    };
    let json = serde_json::to_string(&Stored::from(row)).map_err(ApiError::internal)?;
    Ok(Some((json, ttl.max(1))))
}

/// A session as stored in Redis.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    id: Uuid,
    token_hash: String,
    user_id: Uuid,
    csrf_token: String,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl From<&session::Model> for Stored {
    fn from(row: &session::Model) -> Self {
        Self {
            id: row.id,
            token_hash: row.token_hash.clone(),
            user_id: row.user_id,
            csrf_token: row.csrf_token.clone(),
            ip: row.ip.clone(),
            user_agent: row.user_agent.clone(),
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
        }
    }
}

impl From<Stored> for session::Model {
    fn from(stored: Stored) -> Self {
        Self {
            id: stored.id,
            token_hash: stored.token_hash,
            user_id: stored.user_id,
            csrf_token: stored.csrf_token,
            ip: stored.ip,
            user_agent: stored.user_agent,
            created_at: stored.created_at,
            last_seen_at: stored.last_seen_at,
            expires_at: stored.expires_at,
        }
    }
}
