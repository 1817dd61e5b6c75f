//! Resolved principals, cached per credential, so an authenticated request does not pay the
//! token, user, membership and grants queries each time.
//!
//! An entry is trusted only while the access epoch it was read at still holds
//! (`baseops_roles::epoch`): any change of who may do what moves the epoch and every cached
//! principal of every process is read again. The version is taken *before* the database is
//! read, so a change that commits in between leaves the entry stale, never the reverse.
//!
//! - PostgreSQL: the version is the process-wide epoch, moved by this process's changes and
//!   by the `NOTIFY` of other processes' changes, which [`listen`] receives. While that
//!   listener is not connected nothing is cached (a missed notification must not leave a
//!   revoked token working), and each (re)connection moves the epoch.
//! - SQLite: the version also carries the stored epoch, read per request (one primary-key
//!   read instead of three queries).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use baseops_config::DatabaseKind;
use baseops_core::{AppState, OrganizationChoice, Principal};
use baseops_roles::epoch;
use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use tokio::sync::watch;
use uuid::Uuid;

/// Most principals kept; when full the cache starts over (a burst of new credentials costs
/// one query round per credential, and memory stays bounded).
const CAPACITY: usize = 10_000;

/// What a principal was resolved from, and the organization the request asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// An API token, by its SHA-256.
    Token { digest: String, organization: Option<String> },
    /// A signed-in user (their session is checked per request; this caches the rest).
    User { user_id: Uuid, organization: Option<String> },
}

/// The epoch an entry was read at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version {
    stored: i64,
    local: u64,
}

/// A token's facts the authenticator still checks on a cached entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenFacts {
    /// The token's id.
    pub id: Uuid,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// When its last use was recorded.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What the console's frame shows of a signed-in user. It moves with the access epoch too:
/// the services that change a name, a slug or a membership move it.
#[derive(Debug)]
pub(crate) struct ViewerFacts {
    /// The user's id.
    pub user_id: Uuid,
    /// Their e-mail address.
    pub email: String,
    /// Their display name (the address when blank).
    pub display_name: String,
    /// Their organizations, by name.
    pub organizations: Vec<OrganizationChoice>,
}

/// What an entry keeps beside the principal, by credential.
#[derive(Debug, Clone)]
pub(crate) enum Cached {
    /// A token's facts, still checked on every use.
    Token(TokenFacts),
    /// A session user's facts for the console.
    Session(Arc<ViewerFacts>),
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub principal: Principal,
    pub cached: Cached,
    version: Version,
}

/// The cache installed in the application state by the users app.
#[derive(Debug, Clone, Default)]
pub struct PrincipalCache {
    entries: Arc<Mutex<HashMap<Key, Entry>>>,
    listening: Arc<AtomicBool>,
}

impl PrincipalCache {
    /// The cache installed in `state` (none: nothing is cached).
    pub fn of(state: &AppState) -> Option<Self> {
        state.extension::<Self>().cloned()
    }

    /// The version entries must carry to be trusted now; `None` when nothing may be trusted
    /// (PostgreSQL without its listener).
    pub(crate) async fn version(&self, state: &AppState) -> Result<Option<Version>, DbErr> {
        let local = epoch::local();
        match baseops_db::kind_of(state.db().read()) {
            DatabaseKind::Postgres if self.listening.load(Ordering::Acquire) => {
                Ok(Some(Version { stored: 0, local }))
            }
            DatabaseKind::Postgres => Ok(None),
            DatabaseKind::Sqlite => {
                let stored = epoch::stored(state.db().read()).await?;
                Ok(Some(Version { stored, local }))
            }
        }
    }

    /// The entry for `key`, when it was read at `version`.
    pub(crate) fn get(&self, key: &Key, version: Version) -> Option<Entry> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(key).filter(|entry| entry.version == version).cloned()
    }

    /// Keeps `principal` for `key`, read at `version`.
    pub(crate) fn put(&self, key: Key, version: Version, principal: Principal, cached: Cached) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, Entry { principal, cached, version });
    }

    /// Notes that a cached token's use was recorded at `at`.
    pub(crate) fn token_used(&self, key: &Key, at: DateTime<Utc>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(Entry { cached: Cached::Token(facts), .. }) = entries.get_mut(key) {
            facts.last_used_at = Some(at);
        }
    }

    /// Whether principals may be cached now: always on SQLite; on PostgreSQL once the
    /// listener for other processes' access changes is connected.
    pub fn is_trusted(&self, state: &AppState) -> bool {
        baseops_db::kind_of(state.db().read()) == DatabaseKind::Sqlite
            || self.listening.load(Ordering::Acquire)
    }

    /// How many principals are cached.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The `serve` process's listener for other processes' access changes (PostgreSQL); returns
/// at once on SQLite, which needs none.
pub(crate) async fn listen(state: AppState, mut stop: watch::Receiver<bool>) {
    let Some(cache) = PrincipalCache::of(&state) else { return };
    if baseops_db::kind_of(state.db().read()) != DatabaseKind::Postgres {
        return;
    }
    loop {
        let outcome = tokio::select! {
            outcome = receive(&state, &cache) => outcome,
            _ = stop.wait_for(|stop| *stop) => return,
        };
        cache.listening.store(false, Ordering::Release);
        if let Err(error) = outcome {
            tracing::warn!(%error, "access-change listener interrupted; cached principals are not used until it reconnects");
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}

async fn receive(state: &AppState, cache: &PrincipalCache) -> Result<(), sqlx::Error> {
    let mut listener = baseops_db::listener(state.db().write()).await?;
    listener.listen(epoch::CHANNEL).await?;
    // Changes made while no listener ran were not heard: trust nothing read before now.
    epoch::bump_local();
    cache.listening.store(true, Ordering::Release);
    loop {
        listener.recv().await?;
        epoch::bump_local();
    }
}
