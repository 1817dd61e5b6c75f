//! Configuration for baseops.
//!
//! Settings are layered, later wins: built-in defaults → `config/base.toml` →
//! `config/<env>.toml` (`BASEOPS_ENV`: dev, test, staging, prod; default dev) → `.env` →
//! `BASEOPS_*` environment variables, nested keys joined by `__`
//! (`BASEOPS_DATABASE__URL` sets `database.url`).
//!
//! Secrets ([`SECRET_KEYS`]) come only from the environment, are wrapped in [`Secret`] so they
//! cannot be printed, and must be set in staging and prod. [`deploy_findings`] lists the
//! settings that are unsafe for production (`baseops check --deploy`).

mod deploy;
mod load;
mod secret;
mod settings;

pub use deploy::deploy_findings;
pub use load::{DEV_SECRET_KEY, ENV_PREFIX, SECRET_KEYS, Sources, load, render_masked, variable_name};
pub use secret::{MASK, Secret, masked_url};
pub use settings::{
    AuthSettings, BackupSettings, ConsoleSettings, DatabaseKind, DatabaseSettings, EmailBackend,
    EmailSettings, Environment, Fanout, JobsBackend, JobsSettings, LeadsSettings, LogFormat, LogSettings,
    NotificationsSettings, RedisSettings, ScheduleSettings, ServerSettings, SessionSettings,
    SessionStoreKind, Settings, SmtpTls, StorageBackend, StorageSettings, TasksSettings, database_kind,
};

/// `localhost`, `127.0.0.0/8` or `::1`: a server on this machine.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
}

/// Why settings could not be loaded. Each message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `BASEOPS_ENV` names no known environment.
    #[error("BASEOPS_ENV={0:?} is not an environment; use dev, test, staging or prod")]
    UnknownEnvironment(String),
    /// Staging or prod without a required secret.
    #[error("missing required secret for {env}: set {}", vars.join(", "))]
    MissingSecrets {
        /// The environment being loaded.
        env: &'static str,
        /// The variables to set.
        vars: Vec<String>,
    },
    /// A secret was written into a configuration file.
    #[error("{key} is a secret and must not be set in {file}; set {var} in the environment instead")]
    SecretInFile {
        /// The setting.
        key: String,
        /// The file that set it.
        file: String,
        /// The variable to use instead.
        var: String,
    },
    /// The `.env` file could not be read.
    #[error("cannot read {path}: {message}")]
    Dotenv {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A value has the wrong type, or a key is unknown.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Checks values that parse but make no sense together.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming every problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        let db = &self.database;
        if db.kind().is_none() {
            problems.push(format!(
                "database.url must start with sqlite:// or postgres:// ({} has {})",
                variable_name("database.url"),
                masked_url(&db.url)
            ));
        }
        if let Some(replica) = &db.replica_url
            && database_kind(replica.expose()) != Some(DatabaseKind::Postgres)
        {
            problems.push("database.replica_url must be a postgres:// URL".to_owned());
        }
        if self.jobs.backend == JobsBackend::Redis && self.redis.url.is_none() {
            problems.push(format!("jobs.backend is redis but {} is not set", variable_name("redis.url")));
        }
        if self.session.cookie_name.starts_with("__Host-") && !self.session.cookie_secure {
            problems.push(
                "session.cookie_name starts with __Host-, which browsers accept only with session.cookie_secure = true"
                    .to_owned(),
            );
        }
        if self.session.idle_minutes == 0 || self.session.max_age_hours == 0 {
            problems.push("session.idle_minutes and session.max_age_hours must be at least 1".to_owned());
        }
        let auth = &self.auth;
        if [auth.max_failures_per_account_and_ip, auth.max_failures_per_ip, auth.max_failures_per_account]
            .contains(&0)
            || auth.failure_window_secs == 0
        {
            problems
                .push("auth.max_failures_per_* and auth.failure_window_secs must be at least 1".to_owned());
        }
        if self.session.store == SessionStoreKind::Redis && self.redis.url.is_none() {
            problems.push(format!("session.store is redis but {} is not set", variable_name("redis.url")));
        }
        if self.notifications.fanout == Fanout::Redis && self.redis.url.is_none() {
            problems
                .push(format!("notifications.fanout is redis but {} is not set", variable_name("redis.url")));
        }
        let region = &self.leads.default_phone_region;
        if region.len() != 2 || !region.bytes().all(|b| b.is_ascii_uppercase()) {
            problems.push(format!(
                "leads.default_phone_region must be a two-letter region like US, not {region:?}"
            ));
        }
        if self.leads.import_max_bytes == 0 || self.leads.import_max_rows == 0 {
            problems.push("leads.import_max_bytes and leads.import_max_rows must be at least 1".to_owned());
        }
        if self.notifications.max_streams_per_user == 0 {
            problems.push("notifications.max_streams_per_user must be at least 1".to_owned());
        }
        if let Some(url) = &self.redis.url
            && !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://"))
        {
            problems.push("redis.url must be a redis:// or rediss:// URL".to_owned());
        }
        if self.jobs.concurrency == 0 || self.jobs.queues.is_empty() {
            problems.push("jobs.concurrency must be at least 1 and jobs.queues must name a queue".to_owned());
        }
        if db.max_connections == 0 {
            problems.push("database.max_connections must be at least 1".to_owned());
        }
        if db.min_connections > db.max_connections {
            problems.push("database.min_connections must not exceed database.max_connections".to_owned());
        }
        let server = &self.server;
        if server.body_limit_bytes == 0 {
            problems.push("server.body_limit_bytes must be at least 1".to_owned());
        }
        if server.request_timeout_secs == 0 {
            problems.push("server.request_timeout_secs must be at least 1".to_owned());
        }
        if server.body_timeout_secs == 0 {
            problems.push("server.body_timeout_secs must be at least 1".to_owned());
        }
        if !matches!(server.public_url.scheme(), "http" | "https") {
            problems.push("server.public_url must be an http:// or https:// URL".to_owned());
        }
        let from = self.email.from.trim();
        if from.is_empty() || from.chars().any(char::is_control) {
            problems.push("email.from must be an address (Name <address>) on one line".to_owned());
        }
        problems.extend(self.email_problems());
        if self.log.level.trim().is_empty() {
            problems.push("log.level must not be empty".to_owned());
        }
        if problems.is_empty() { Ok(()) } else { Err(ConfigError::Invalid(problems.join("; "))) }
    }

    /// What is wrong with the SMTP settings (checked whatever the backend, so a mistake shows
    /// before the backend is switched on).
    fn email_problems(&self) -> Vec<String> {
        let email = &self.email;
        let mut problems = Vec::new();
        let host = email.smtp_host.as_deref().map(str::trim).filter(|host| !host.is_empty());
        match host {
            None if email.backend == EmailBackend::Smtp => {
                problems.push(format!(
                    "email.backend is smtp but {} is not set",
                    variable_name("email.smtp_host")
                ));
            }
            Some(host) if host.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') => {
                problems.push("email.smtp_host must be a host name or an IP address".to_owned());
            }
            Some(host)
                if email.smtp_tls == SmtpTls::None && !is_loopback(host) && self.env != Environment::Dev =>
            {
                problems.push(format!(
                    "email.smtp_tls = none sends mail (and the SMTP password) unencrypted: \
                     allowed only for a loopback host or in dev, not for {host}"
                ));
            }
            _ => {}
        }
        if email.smtp_username.is_some() != email.smtp_password.is_some() {
            problems.push(format!(
                "email.smtp_username and {} must be set together",
                variable_name("email.smtp_password")
            ));
        }
        if let Some(ca_file) = &email.smtp_ca_file
            && !ca_file.is_file()
        {
            problems.push(format!("email.smtp_ca_file {} is not a readable file", ca_file.display()));
        }
        if email.smtp_port == 0 || email.smtp_timeout_secs == 0 || email.smtp_pool_size == 0 {
            problems
                .push("email.smtp_port, smtp_timeout_secs and smtp_pool_size must be at least 1".to_owned());
        }
        problems
    }

    /// Whether users reach baseops over HTTPS (then HSTS is sent).
    pub fn serves_https(&self) -> bool {
        self.server.public_url.scheme() == "https"
    }
}
