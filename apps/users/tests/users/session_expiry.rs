//! Sessions end `session.idle_minutes` after their last use and `session.max_age_hours` after
//! login, used or not (docs/api_overview.md, "Sessions"), answering 401 `unauthenticated`.
//!
//! No test waits for a clock: the stored session's timestamps are moved back as if that much
//! time had passed, in the store that holds it — the database, or Redis when
//! `BASEOPS_TEST_REDIS_URL` points to one. The lifetimes are far from the defaults (480
//! minutes, 336 hours), so a server that ignored the settings would keep sessions alive that
//! these tests expect to end.

use baseops_test_support::{Client, PASSWORD, TestApp};
use baseops_users::model::session;
use baseops_users::secret::digest;
use chrono::{DateTime, Duration, Utc};
use redis::AsyncCommands;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::{Value, json};

const IDLE_MINUTES: i64 = 30;
const MAX_AGE_HOURS: i64 = 2;

fn idle() -> Duration {
    Duration::minutes(IDLE_MINUTES)
}

fn max_age() -> Duration {
    Duration::hours(MAX_AGE_HOURS)
}

/// A session's clock: opened, last used, and when it ends at the latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Times {
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl Times {
    /// A session opened `opened` ago (ending `max_age` after that) and last used `used` ago.
    fn ago(opened: Duration, used: Duration) -> Self {
        let now = Utc::now();
        Self { created_at: now - opened, last_seen_at: now - used, expires_at: now - opened + max_age() }
    }
}

/// Where the app under test keeps its sessions.
enum Store {
    Database,
    Redis { connection: redis::aio::MultiplexedConnection, prefix: String },
}

/// The build with short session lifetimes, its sessions in Redis at `redis_url` (under a key
/// prefix of its own) or, without one, in the database.
async fn app(redis_url: Option<&str>) -> (TestApp, Store) {
    let (idle, max_age) = (IDLE_MINUTES.to_string(), MAX_AGE_HOURS.to_string());
    let mut settings = vec![
        ("BASEOPS_SESSION__IDLE_MINUTES", idle.as_str()),
        ("BASEOPS_SESSION__MAX_AGE_HOURS", max_age.as_str()),
    ];
    let Some(url) = redis_url else {
        return (TestApp::with_settings(&settings).await, Store::Database);
    };
    let prefix = format!("baseops_test_{}:", uuid::Uuid::now_v7().simple());
    settings.extend([
        ("BASEOPS_SESSION__STORE", "redis"),
        ("BASEOPS_REDIS__URL", url),
        ("BASEOPS_REDIS__KEY_PREFIX", prefix.as_str()),
    ]);
    let app = TestApp::with_settings(&settings).await;
    let client = redis::Client::open(url).expect("a Redis URL");
    let connection = client.get_multiplexed_async_connection().await.expect("Redis answers");
    (app, Store::Redis { connection, prefix })
}

/// The session cookie's value, which the store knows only by its digest.
fn token_of(client: &Client) -> String {
    let cookie = client.cookie.as_deref().expect("a signed-in client");
    cookie.split_once('=').expect("name=value").1.to_owned()
}

impl Store {
    fn key(prefix: &str, token: &str) -> String {
        format!("{prefix}session:{}", digest(token))
    }

    /// The stored session's clock, `None` when the store holds no such session.
    async fn times(&self, app: &TestApp, token: &str) -> Option<Times> {
        match self {
            Self::Database => session::Entity::find()
                .filter(session::Column::TokenHash.eq(digest(token)))
                .one(app.state().db().read())
                .await
                .expect("the sessions table")
                .map(|row| Times {
                    created_at: row.created_at,
                    last_seen_at: row.last_seen_at,
                    expires_at: row.expires_at,
                }),
            Self::Redis { connection, prefix } => {
                let json: Option<String> =
                    connection.clone().get(Self::key(prefix, token)).await.expect("Redis answers");
                let stored: Value = serde_json::from_str(&json?).expect("a stored session");
                let at = |field: &str| serde_json::from_value(stored[field].clone()).expect("a timestamp");
                Some(Times {
                    created_at: at("created_at"),
                    last_seen_at: at("last_seen_at"),
                    expires_at: at("expires_at"),
                })
            }
        }
    }

    /// Rewrites the stored session's clock, as if time had passed since it was opened and used.
    ///
    /// In Redis the key keeps at least a minute to live even when the new clock says the
    /// session is over: then the server's own check of the timestamps must end it (a key
    /// already gone would only show that Redis expires keys).
    async fn set_times(&self, app: &TestApp, token: &str, times: Times) {
        match self {
            Self::Database => {
                let row = session::Entity::find()
                    .filter(session::Column::TokenHash.eq(digest(token)))
                    .one(app.state().db().write())
                    .await
                    .expect("the sessions table")
                    .expect("the session is stored");
                let mut row = row.into_active_model();
                row.created_at = Set(times.created_at);
                row.last_seen_at = Set(times.last_seen_at);
                row.expires_at = Set(times.expires_at);
                row.update(app.state().db().write()).await.expect("the session is updated");
            }
            Self::Redis { connection, prefix } => {
                let key = Self::key(prefix, token);
                let mut connection = connection.clone();
                let json: String = connection.get(&key).await.expect("the session is stored");
                let mut stored: Value = serde_json::from_str(&json).expect("a stored session");
                stored["created_at"] = json!(times.created_at);
                stored["last_seen_at"] = json!(times.last_seen_at);
                stored["expires_at"] = json!(times.expires_at);
                let now = Utc::now();
                let left = (times.expires_at - now).min(times.last_seen_at + idle() - now);
                let ttl = u64::try_from(left.num_seconds()).unwrap_or(0).max(60);
                let () = connection.set_ex(&key, stored.to_string(), ttl).await.expect("Redis answers");
            }
        }
    }

    /// Seconds the Redis key of the session has left to live (`None` for the database).
    async fn ttl(&self, token: &str) -> Option<i64> {
        let Self::Redis { connection, prefix } = self else { return None };
        Some(connection.clone().ttl(Self::key(prefix, token)).await.expect("Redis answers"))
    }
}

/// Asserts that `a` and `b` are the same instant to the millisecond (stores may round).
fn same_instant(a: DateTime<Utc>, b: DateTime<Utc>, what: &str) {
    assert!((a - b).num_milliseconds().abs() <= 1, "{what}: {a} and {b}");
}

async fn idle_sessions_end(redis_url: Option<&str>) {
    let (app, store) = app(redis_url).await;
    app.user("jane@example.com").await;
    let laptop = Client::logged_in(&app, "jane@example.com").await;
    let phone = Client::logged_in(&app, "jane@example.com").await;
    let token = token_of(&laptop);
    assert!(store.times(&app, &token).await.is_some(), "the session is not in the configured store");
    if let Some(ttl) = store.ttl(&token).await {
        // Idle expiry, the sooner of the two, is the key's TTL.
        assert!((IDLE_MINUTES * 60 - 10..=IDLE_MINUTES * 60).contains(&ttl), "TTL {ttl}s");
    }

    // Opened 50 minutes ago, longer than the idle limit, but used 29 minutes ago: idleness
    // counts from the last use, not from login.
    store.set_times(&app, &token, Times::ago(Duration::minutes(50), Duration::minutes(29))).await;
    let me = laptop.get(&app, "/api/v1/me").await;
    assert_eq!(me.status, 200, "a session used 29 of 30 minutes ago ended: {}", me.text());
    // That use counts: the session is marked used now, so it has a full idle period again.
    let used = store.times(&app, &token).await.expect("the session is stored");
    assert!(Utc::now() - used.last_seen_at < Duration::seconds(30), "the use was not recorded: {used:?}");
    if let Some(ttl) = store.ttl(&token).await {
        assert!(ttl > (IDLE_MINUTES - 1) * 60, "the use did not renew the key's TTL: {ttl}s");
    }

    // Unused for 31 minutes: ended, for reads and writes alike (401, not a CSRF refusal),
    // while the user's other session, in use, lives on.
    store.set_times(&app, &token, Times::ago(Duration::minutes(50), Duration::minutes(31))).await;
    laptop.get(&app, "/api/v1/me").await.assert_problem(401, "unauthenticated");
    laptop
        .post(&app, "/api/v1/organizations", json!({"name": "Too late"}))
        .await
        .assert_problem(401, "unauthenticated");
    let organizations = phone.get(&app, "/api/v1/organizations").await;
    assert_eq!(organizations.status, 200, "{}", organizations.text());
    assert_eq!(organizations.json(), json!([]), "the ended session still wrote");

    // Logging in again opens a new, live session.
    let back = Client::logged_in(&app, "jane@example.com").await;
    assert_eq!(back.get(&app, "/api/v1/me").await.status, 200);
}

async fn sessions_end_at_their_maximum_age(redis_url: Option<&str>) {
    let (app, store) = app(redis_url).await;
    app.user("jane@example.com").await;
    let (laptop, login) = Client::login(&app, "jane@example.com", PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.text());
    // The login says when the session ends at the latest, and the cookie lives as long.
    let expires_at: DateTime<Utc> =
        serde_json::from_value(login.json()["expires_at"].clone()).expect("expires_at");
    let lifetime = expires_at - Utc::now();
    assert!(lifetime <= max_age() && lifetime > max_age() - Duration::minutes(1), "{lifetime}");
    let cookie = login.header("set-cookie").expect("a session cookie");
    let cookie_age: i64 = cookie
        .split(';')
        .find_map(|attribute| attribute.trim().strip_prefix("Max-Age="))
        .expect("Max-Age")
        .parse()
        .expect("seconds");
    assert!((MAX_AGE_HOURS * 3600 - 60..=MAX_AGE_HOURS * 3600).contains(&cookie_age), "{cookie}");
    let token = token_of(&laptop);
    same_instant(store.times(&app, &token).await.expect("stored").expires_at, expires_at, "stored end");

    // Opened 1 h 59 min ago, used 10 minutes ago: live, and the use does not push the end back.
    let old = Times::ago(max_age() - Duration::minutes(1), Duration::minutes(10));
    store.set_times(&app, &token, old).await;
    let me = laptop.get(&app, "/api/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.text());
    let used = store.times(&app, &token).await.expect("the session is stored");
    assert!(used.last_seen_at > old.last_seen_at, "the use was not recorded: {used:?}");
    same_instant(used.expires_at, old.expires_at, "a use moved the absolute expiry");
    if let Some(ttl) = store.ttl(&token).await {
        // A minute before the absolute end, the key lives a minute, not a full idle period.
        assert!((1..=60).contains(&ttl), "the key outlives the session: TTL {ttl}s");
    }

    // Opened 2 h 1 min ago and in use a moment ago: ended all the same.
    store.set_times(&app, &token, Times::ago(max_age() + Duration::minutes(1), Duration::zero())).await;
    laptop.get(&app, "/api/v1/me").await.assert_problem(401, "unauthenticated");
    laptop
        .post(&app, "/api/v1/organizations", json!({"name": "Too late"}))
        .await
        .assert_problem(401, "unauthenticated");
    let back = Client::logged_in(&app, "jane@example.com").await;
    let organizations = back.get(&app, "/api/v1/organizations").await;
    assert_eq!(organizations.status, 200, "{}", organizations.text());
    assert_eq!(organizations.json(), json!([]), "the ended session still wrote");
}

#[tokio::test]
async fn an_unused_session_ends_after_idle_minutes_in_the_database() {
    idle_sessions_end(None).await;
}

#[tokio::test]
async fn an_unused_session_ends_after_idle_minutes_in_redis() {
    if let Some(url) = baseops_test_support::services::redis_url() {
        idle_sessions_end(Some(&url)).await;
    }
}

#[tokio::test]
async fn a_session_ends_max_age_hours_after_login_in_the_database() {
    sessions_end_at_their_maximum_age(None).await;
}

#[tokio::test]
async fn a_session_ends_max_age_hours_after_login_in_redis() {
    if let Some(url) = baseops_test_support::services::redis_url() {
        sessions_end_at_their_maximum_age(Some(&url)).await;
    }
}
