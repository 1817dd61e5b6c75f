//! The typed settings every part of baseops reads.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::Secret;

/// The deployment environment, chosen by `BASEOPS_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A developer's machine (the default).
    Dev,
    /// The test suites.
    Test,
    /// A production-like environment for rehearsals.
    Staging,
    /// Production.
    Prod,
}

impl Environment {
    /// All environments, in the order of the documentation.
    pub const ALL: [Environment; 4] = [Self::Dev, Self::Test, Self::Staging, Self::Prod];

    /// The name used in `BASEOPS_ENV` and in `config/<name>.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dev => "dev",
            Self::Test => "test",
            Self::Staging => "staging",
            Self::Prod => "prod",
        }
    }

    /// Parses an environment name as written in `BASEOPS_ENV`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|env| env.name() == name.trim())
    }

    /// Staging and prod: secrets are required and defaults are strict.
    pub fn is_production_like(self) -> bool {
        matches!(self, Self::Staging | Self::Prod)
    }
}

/// All settings, after layering (see the crate documentation).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The environment these settings were loaded for.
    pub env: Environment,
    /// Verbose errors and development conveniences. Never on in production.
    pub debug: bool,
    /// Signs sessions, CSRF tokens and links. At least 32 characters in production.
    pub secret_key: Secret,
    /// HTTP server settings.
    pub server: ServerSettings,
    /// Database settings.
    pub database: DatabaseSettings,
    /// Browser session cookie settings.
    pub session: SessionSettings,
    /// Passwords and login protection.
    pub auth: AuthSettings,
    /// Redis connection, when used.
    pub redis: RedisSettings,
    /// Background jobs.
    pub jobs: JobsSettings,
    /// How e-mail leaves baseops.
    pub email: EmailSettings,
    /// In-app notifications and their live push.
    pub notifications: NotificationsSettings,
    /// The leads app: phone numbers and CSV imports.
    pub leads: LeadsSettings,
    /// Uploaded files: where they are stored and what is accepted.
    pub storage: StorageSettings,
    /// The tasks app: comment edit window and reminders.
    pub tasks: TasksSettings,
    /// Logging settings.
    pub log: LogSettings,
    /// The admin console.
    #[serde(default)]
    pub console: ConsoleSettings,
    /// `baseops backup`: where backups go and how many are kept.
    #[serde(default)]
    pub backup: BackupSettings,
}

/// Backups (`[backup]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupSettings {
    /// The directory `baseops backup` writes to, created when missing.
    pub dir: String,
    /// Days for which the newest backup of the day is kept.
    pub keep_daily: u32,
    /// ISO weeks for which the newest backup of the week is kept.
    pub keep_weekly: u32,
    /// Whether the worker takes the daily backup (the `backup_daily` schedule).
    pub scheduled: bool,
}

impl Default for BackupSettings {
    fn default() -> Self {
        // Beside the default database and media directories, so one copy of data/ has all.
        Self { dir: "data/backups".to_owned(), keep_daily: 7, keep_weekly: 4, scheduled: false }
    }
}

/// The admin console (`[console]`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// A directory of templates that replace the built-in ones of the same name
    /// (`frame.html`, `leads/list.html`, …).
    pub templates_dir: Option<PathBuf>,
}

/// HTTP server settings (`[server]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port `serve` listens on.
    pub bind: SocketAddr,
    /// The URL users reach baseops at; used in links and to decide on HSTS.
    pub public_url: Url,
    /// Host names accepted in the `Host` header; empty accepts any (development only).
    pub allowed_hosts: Vec<String>,
    /// Longest time a request may take: 503, or 408 when its body was still arriving.
    pub request_timeout_secs: u64,
    /// Longest pause while a request body arrives before the request is answered 408.
    pub body_timeout_secs: u64,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// How long shutdown waits for in-flight requests before it gives up.
    pub shutdown_grace_secs: u64,
    /// Origins allowed to call the API from a browser (CORS); `*` allows any.
    pub cors_allowed_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (e.g. nginx's address).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Clients that may read `/metrics` without a token (the scraper's address).
    pub metrics_allowed_ips: Vec<std::net::IpAddr>,
    /// A bearer token that also opens `/metrics`, from anywhere.
    pub metrics_token: Option<Secret>,
}

/// Database settings (`[database]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` or `postgres://user:password@host/db`. Environment only.
    pub url: Secret,
    /// Optional PostgreSQL read replica for selectors. Environment only.
    pub replica_url: Option<Secret>,
    /// Connections in each pool (PostgreSQL; SQLite writes through one connection).
    pub max_connections: u32,
    /// Connections kept open while idle.
    pub min_connections: u32,
    /// Longest wait for a free connection before the request fails.
    pub acquire_timeout_secs: u64,
    /// How long start-up keeps retrying an unreachable database before it gives up.
    pub connect_retry_secs: u64,
    /// Apply pending migrations when `serve` starts.
    pub auto_migrate: bool,
    /// Log every statement with its duration in `db.log` (debug level).
    pub log_statements: bool,
    /// Statements slower than this are logged at warn level in `db.log`.
    pub slow_query_ms: u64,
    /// How long SQLite waits on a locked database before failing a statement.
    pub sqlite_busy_timeout_ms: u64,
    /// Explicit opt-in to run production on SQLite (a single machine).
    pub allow_sqlite_in_prod: bool,
}

/// The database engine a URL points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl DatabaseSettings {
    /// The engine of `url`, or `None` for an unsupported scheme.
    pub fn kind(&self) -> Option<DatabaseKind> {
        database_kind(self.url.expose())
    }
}

/// The engine a database URL points to, from its scheme.
pub fn database_kind(url: &str) -> Option<DatabaseKind> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme)?;
    match scheme {
        "sqlite" => Some(DatabaseKind::Sqlite),
        "postgres" | "postgresql" => Some(DatabaseKind::Postgres),
        _ => None,
    }
}

/// Browser session cookie settings (`[session]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// Name of the session cookie.
    pub cookie_name: String,
    /// Send the cookie only over HTTPS. Required in production.
    pub cookie_secure: bool,
    /// A session unused this long ends.
    pub idle_minutes: u64,
    /// A session ends this long after login, used or not.
    pub max_age_hours: u64,
    /// Where sessions live: `database` (default) or `redis` (needs `redis.url`).
    pub store: SessionStoreKind,
}

/// Where sessions are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStoreKind {
    /// The `sessions` table.
    Database,
    /// Redis, with expiry by TTL.
    Redis,
}

/// The leads app (`[leads]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LeadsSettings {
    /// ISO 3166 region phone numbers without a `+country` prefix are read in (`US`, `DE`).
    pub default_phone_region: String,
    /// Largest CSV file an import accepts, in bytes (the upload route is exempt from
    /// `server.body_limit_bytes`).
    pub import_max_bytes: usize,
    /// Most data rows one import may hold.
    pub import_max_rows: usize,
}

/// Uploaded files (`[storage]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// Where files go: `local` (a directory on this machine); S3-compatible stores later.
    pub backend: StorageBackend,
    /// The directory of the `local` backend, created when missing.
    pub local_dir: String,
    /// Largest file accepted, in bytes (the upload route is exempt from
    /// `server.body_limit_bytes`).
    pub max_file_bytes: u64,
    /// Media types accepted (`image/png`); `type/*` accepts a whole family.
    pub allowed_types: Vec<String>,
}

/// Where uploaded files are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// A directory on the local disk.
    Local,
}

/// The tasks app (`[tasks]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TasksSettings {
    /// How long after writing it a comment's author may still edit or delete it.
    pub comment_edit_minutes: u64,
    /// How long before a task's due time its assignees are reminded.
    pub reminder_lead_minutes: u64,
}

/// In-app notifications (`[notifications]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsSettings {
    /// How a notification created in one process reaches browsers connected to another.
    pub fanout: Fanout,
    /// Live streams (`/notifications/stream`) one user may hold open at once, per process.
    pub max_streams_per_user: usize,
}

/// How live notifications travel between processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fanout {
    /// PostgreSQL `LISTEN/NOTIFY` on PostgreSQL; within the process on SQLite.
    Database,
    /// Redis pub/sub (needs `redis.url`).
    Redis,
}

/// Background jobs (`[jobs]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JobsSettings {
    /// Queues a worker takes jobs from.
    pub queues: Vec<String>,
    /// Jobs one worker runs at once.
    pub concurrency: usize,
    /// How long a claimed job stays a worker's without a heartbeat (a lost worker's jobs run
    /// again after this).
    pub lease_secs: u64,
    /// How often an idle worker looks for due jobs when nothing woke it.
    pub poll_interval_ms: u64,
    /// The first retry's delay; each further one doubles, up to an hour, with jitter.
    pub backoff_base_ms: u64,
    /// `jobs purge` without `--older-than` deletes finished jobs older than this.
    pub retention_days: u64,
    /// The IANA time zone cron expressions are read in, unless a schedule names its own.
    pub timezone: String,
    /// Where workers take jobs from: `database` (default) or `redis` (needs `redis.url`).
    #[serde(default)]
    pub backend: JobsBackend,
    /// Overrides of the recurring jobs the build declares, by schedule name.
    #[serde(default)]
    pub schedules: std::collections::BTreeMap<String, ScheduleSettings>,
}

/// How jobs reach workers (`jobs.backend`). Either way a job is a `jobs` row written in the
/// transaction of the change that causes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobsBackend {
    /// Workers claim rows from the `jobs` table.
    #[default]
    Database,
    /// A relay moves due rows into Redis, where workers claim them (needs `redis.url`).
    Redis,
}

/// One recurring job's overrides (`[jobs.schedules.<name>]`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSettings {
    /// A five-field cron expression (`minute hour day-of-month month day-of-week`).
    pub cron: Option<String>,
    /// The IANA time zone of `cron`; `jobs.timezone` when absent.
    pub timezone: Option<String>,
    /// `false` switches the schedule off.
    pub enabled: Option<bool>,
}

/// Redis, for deployments that use it (`[redis]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// `redis://[:password@]host:port/db`. Environment only.
    pub url: Option<Secret>,
    /// Prefix of every key baseops writes, so several deployments can share a server.
    pub key_prefix: String,
}

/// Passwords and login protection (`[auth]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Argon2id memory cost in KiB (OWASP: at least 19456).
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
    /// Argon2id lanes.
    pub argon2_parallelism: u32,
    /// Shortest password accepted.
    pub min_password_length: usize,
    /// Failed checks on one account from one IP address before that pair must wait.
    pub max_failures_per_account_and_ip: u32,
    /// Failed checks from one IP address, on any accounts, before it must wait.
    pub max_failures_per_ip: u32,
    /// Failed checks on one account from anywhere before it must wait (ASVS 2.2.1: at most
    /// 100 an hour).
    pub max_failures_per_account: u32,
    /// Failures are forgotten this long after the last one (or after the wait they caused).
    pub failure_window_secs: u64,
    /// First wait once a limit is reached; each further failure doubles it, up to an hour.
    pub lockout_secs: u64,
    /// Whether a password reset also revokes the user's API tokens (it always ends sessions).
    pub revoke_tokens_on_password_reset: bool,
    /// How long password-reset and e-mail verification links stay valid.
    pub link_valid_minutes: u64,
    /// How long an invitation stays valid.
    pub invitation_valid_days: u64,
}

/// Outgoing e-mail (`[email]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// Where messages go.
    pub backend: EmailBackend,
    /// Directory the `file` backend writes one `.eml` file per message into (created when
    /// missing).
    pub file_dir: PathBuf,
    /// The `From` of every message: `Name <address>` or a bare address.
    pub from: String,
    /// A directory of templates that replace the built-in ones of the same name
    /// (`password_reset.html`, `password_reset.de.txt`, `layout.html`, …).
    pub templates_dir: Option<PathBuf>,
    /// The SMTP server's host name or address (required by the `smtp` backend).
    pub smtp_host: Option<String>,
    /// The SMTP server's port: 587 for STARTTLS, 465 for TLS, 25 between servers.
    pub smtp_port: u16,
    /// How the SMTP connection is encrypted.
    pub smtp_tls: SmtpTls,
    /// The SMTP user name, when the server wants authentication.
    pub smtp_username: Option<String>,
    /// The SMTP password. Environment only.
    pub smtp_password: Option<Secret>,
    /// Longest wait for the SMTP server on connect and on each command.
    pub smtp_timeout_secs: u64,
    /// Most SMTP connections kept open for reuse.
    pub smtp_pool_size: u32,
    /// A PEM file of certificate authorities trusted for the SMTP server besides the public
    /// ones (a private relay's own CA).
    #[serde(default)]
    pub smtp_ca_file: Option<std::path::PathBuf>,
}

/// Where outgoing e-mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailBackend {
    /// The whole message is written to the log (target `baseops_email`, level info). For
    /// development: nothing reaches a mailbox.
    Console,
    /// Each message is written as a file into `email.file_dir`. For tests.
    File,
    /// Messages are handed to the SMTP server `email.smtp_host`.
    Smtp,
}

/// Encryption of the SMTP connection (`email.smtp_tls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// A plain connection upgraded with `STARTTLS`, which the server must offer (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a server on the loopback interface, or in development.
    None,
}

/// How log lines on stdout look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Logging settings (`[log]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// A tracing filter: a level (`info`) or directives (`info,baseops_db=debug`).
    pub level: String,
    /// Format of stdout lines.
    pub format: LogFormat,
    /// Write `app.log`, `errors.log` and `db.log` (rotated daily) besides stdout.
    pub files: bool,
    /// Directory for the log files.
    pub dir: PathBuf,
    /// Rotated log files kept per log (one per day).
    pub retention_days: usize,
}
