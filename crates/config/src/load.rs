//! Layering: built-in defaults → `config/base.toml` → `config/<env>.toml` → `.env` →
//! `BASEOPS_*` environment variables; later layers win.

use std::path::{Path, PathBuf};

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde_json::json;

use crate::{ConfigError, Environment, Settings};

/// The prefix of every variable baseops reads.
pub const ENV_PREFIX: &str = "BASEOPS_";

/// Settings that hold secrets: they may only come from the environment (or `.env`).
pub const SECRET_KEYS: [&str; 6] = [
    "secret_key",
    "database.url",
    "database.replica_url",
    "redis.url",
    "email.smtp_password",
    "server.metrics_token",
];

/// Secrets that staging and prod must set; there is no default for them there.
const REQUIRED_SECRETS: [&str; 2] = ["secret_key", "database.url"];

/// The development secret key: fine on a laptop, refused by `check --deploy`.
pub const DEV_SECRET_KEY: &str = "dev-only-insecure-secret-key-do-not-use-in-production";

/// Variables with the prefix that are not settings, so are not rejected as unknown keys.
const NOT_SETTINGS: [&str; 4] = ["BASEOPS_ENV", "BASEOPS_CONFIG_DIR", "BASEOPS_TEST_", "BASEOPS_BENCH_"];

/// Where settings come from. [`Sources::from_process`] for the binary; tests build their own.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Directory holding `base.toml` and `<env>.toml`; missing files are skipped.
    pub config_dir: PathBuf,
    /// A dotenv file; skipped when it does not exist.
    pub dotenv_file: Option<PathBuf>,
    /// Environment variables (only `BASEOPS_*` ones are read).
    pub vars: Vec<(String, String)>,
}

impl Sources {
    /// The process's environment, `./.env`, and `$BASEOPS_CONFIG_DIR` (default `./config`).
    pub fn from_process() -> Self {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        let config_dir = vars
            .iter()
            .find(|(key, _)| key == "BASEOPS_CONFIG_DIR")
            .map(|(_, dir)| PathBuf::from(dir))
            .unwrap_or_else(|| PathBuf::from("config"));
        Self { config_dir, dotenv_file: Some(PathBuf::from(".env")), vars }
    }
}

/// Loads, layers and checks the settings.
///
/// # Errors
/// A missing required secret in staging/prod, a secret written in a TOML file, an unreadable
/// file, a value of the wrong type, an unknown key, or a failed [`Settings::validate`].
pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
    let dotenv = read_dotenv(sources.dotenv_file.as_deref())?;
    let env = select_environment(&sources.vars, &dotenv)?;

    let files = Figment::new()
        .merge(Toml::file(sources.config_dir.join("base.toml")))
        .merge(Toml::file(sources.config_dir.join(format!("{}.toml", env.name()))));
    for key in SECRET_KEYS {
        if let Some(metadata) = files.find_metadata(key) {
            return Err(ConfigError::SecretInFile {
                key: key.to_owned(),
                file: metadata.name.to_string(),
                var: variable_name(key),
            });
        }
    }

    let figment = Figment::new()
        .merge(Serialized::defaults(defaults(env)))
        .merge(files)
        .merge(VarsProvider::new(".env file", &dotenv))
        .merge(VarsProvider::new("environment variable", &sources.vars))
        .merge(Serialized::default("env", env));

    if env.is_production_like() {
        let missing: Vec<String> =
            REQUIRED_SECRETS.into_iter().filter(|key| !figment.contains(key)).map(variable_name).collect();
        if !missing.is_empty() {
            return Err(ConfigError::MissingSecrets { env: env.name(), vars: missing });
        }
    }

    let settings: Settings = figment.extract().map_err(|error| ConfigError::Invalid(error.to_string()))?;
    settings.validate()?;
    Ok(settings)
}

/// `database.url` → `BASEOPS_DATABASE__URL`.
pub fn variable_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "__").to_uppercase())
}

fn select_environment(
    vars: &[(String, String)],
    dotenv: &[(String, String)],
) -> Result<Environment, ConfigError> {
    let chosen =
        vars.iter().chain(dotenv).find(|(key, _)| key == "BASEOPS_ENV").map(|(_, value)| value.as_str());
    match chosen {
        None => Ok(Environment::Dev),
        Some(name) => {
            Environment::parse(name).ok_or_else(|| ConfigError::UnknownEnvironment(name.to_owned()))
        }
    }
}

fn read_dotenv(path: Option<&Path>) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(path) = path.filter(|path| path.exists()) else {
        return Ok(Vec::new());
    };
    let unreadable = |error: dotenvy::Error| ConfigError::Dotenv {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    dotenvy::from_path_iter(path).map_err(unreadable)?.map(|item| item.map_err(unreadable)).collect()
}

/// Media types uploads may have unless `storage.allowed_types` says otherwise.
const STORAGE_ALLOWED_TYPES: [&str; 11] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
];

/// Built-in defaults. Development-friendly, except where production safety depends on them.
fn defaults(env: Environment) -> serde_json::Value {
    let production_like = env.is_production_like();
    let mut defaults = json!({
        "debug": env == Environment::Dev,
        "server": {
            "bind": "127.0.0.1:8000",
            "public_url": "http://localhost:8000",
            "allowed_hosts": [],
            "request_timeout_secs": 30,
            "body_timeout_secs": 10,
            "body_limit_bytes": 2 * 1024 * 1024,
            "shutdown_grace_secs": 30,
            "cors_allowed_origins": [],
            "trusted_proxies": [],
            "metrics_allowed_ips": ["127.0.0.1", "::1"],
        },
        "database": {
            "max_connections": 10,
            "min_connections": 0,
            "acquire_timeout_secs": 5,
            "connect_retry_secs": 30,
            "auto_migrate": !production_like,
            "log_statements": env == Environment::Dev,
            "slow_query_ms": 200,
            "sqlite_busy_timeout_ms": 5000,
            "allow_sqlite_in_prod": false,
        },
        "session": {
            // `__Host-` binds the cookie to this host over HTTPS (no Domain, Path=/, Secure): a
            // sibling subdomain cannot set or overwrite it. Browsers refuse it without HTTPS.
            "cookie_name": if production_like { "__Host-baseops_session" } else { "baseops_session" },
            // OWASP ASVS 4.0.3 level 2 (3.3.2, 3.3.3): re-authenticate within 12 hours, and
            // after 30 minutes unused.
            "idle_minutes": 30,
            "max_age_hours": 12,
            "store": "database",
            "cookie_secure": production_like,
        },
        "jobs": {
            "queues": ["default", "email"],
            "concurrency": 4,
            "lease_secs": 300,
            "poll_interval_ms": 1000,
            "backoff_base_ms": 1000,
            "retention_days": 14,
            "timezone": "UTC",
            "backend": "database",
        },
        "redis": {
            "key_prefix": "baseops:",
        },
        "auth": {
            "argon2_memory_kib": 19456,
            "argon2_iterations": 2,
            "argon2_parallelism": 1,
            "min_password_length": 12,
            "max_failures_per_account_and_ip": 5,
            "max_failures_per_ip": 50,
            "max_failures_per_account": 100,
            "failure_window_secs": 900,
            "lockout_secs": 30,
            "revoke_tokens_on_password_reset": true,
            "link_valid_minutes": 60,
            "invitation_valid_days": 7,
        },
        "notifications": {
            "fanout": "database",
            "max_streams_per_user": 5,
        },
        "leads": {
            "default_phone_region": "US",
            "import_max_bytes": 20_971_520,
            "import_max_rows": 200_000,
        },
        "storage": {
            "backend": "local",
            "local_dir": "data/media",
            "max_file_bytes": 10_485_760,
            "allowed_types": STORAGE_ALLOWED_TYPES,
        },
        "tasks": {
            "comment_edit_minutes": 15,
            "reminder_lead_minutes": 60,
        },
        "email": {
            "backend": "console",
            "file_dir": "data/outbox",
            "from": "baseops <no-reply@localhost>",
            "smtp_port": 587,
            "smtp_tls": "starttls",
            "smtp_timeout_secs": 10,
            "smtp_pool_size": 4,
        },
        "log": {
            "level": "info",
            "format": if production_like { "json" } else { "pretty" },
            "files": true,
            "dir": "logs",
            "retention_days": 14,
        },
    });
    if !production_like {
        defaults["secret_key"] = json!(DEV_SECRET_KEY);
        defaults["database"]["url"] = json!("sqlite://data/baseops.db");
    }
    defaults
}

/// `BASEOPS_*` pairs as a figment provider: `__` separates nested keys, values are parsed
/// like figment parses environment values (`true`, `8`, `[a, b]`).
struct VarsProvider {
    name: &'static str,
    dict: Dict,
}

impl VarsProvider {
    fn new(name: &'static str, vars: &[(String, String)]) -> Self {
        let mut dict = Dict::new();
        for (key, value) in vars {
            let Some(stripped) = key.strip_prefix(ENV_PREFIX) else { continue };
            if NOT_SETTINGS.iter().any(|skip| key.starts_with(skip)) || stripped.is_empty() {
                continue;
            }
            let path: Vec<String> = stripped.split("__").map(str::to_lowercase).collect();
            let parsed: Value = value.parse().unwrap_or_else(|never| match never {});
            insert_nested(&mut dict, &path, parsed);
        }
        Self { name, dict }
    }
}

fn insert_nested(dict: &mut Dict, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            dict.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = dict.entry(first.clone()).or_insert_with(|| Value::from(Dict::new()));
            if !matches!(entry, Value::Dict(..)) {
                *entry = Value::from(Dict::new());
            }
            if let Value::Dict(_, inner) = entry {
                insert_nested(inner, rest, value);
            }
        }
    }
}

impl Provider for VarsProvider {
    fn metadata(&self) -> Metadata {
        // Errors then name the variable to fix: `BASEOPS_SERVER__BIND`.
        Metadata::named(self.name)
            .interpolater(|_profile, keys| format!("{ENV_PREFIX}{}", keys.join("__").to_uppercase()))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

/// The effective settings as pretty JSON, secrets masked; what `baseops check` prints.
pub fn render_masked(settings: &Settings) -> String {
    let mut value = serde_json::to_value(settings).unwrap_or_default();
    // Secret serializes as a mask; show the database hosts, which operators need to see.
    value["database"]["url"] = json!(crate::masked_url(&settings.database.url));
    if let Some(replica) = &settings.database.replica_url {
        value["database"]["replica_url"] = json!(crate::masked_url(replica));
    }
    if let Some(redis) = &settings.redis.url {
        value["redis"]["url"] = json!(crate::masked_url(redis));
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
