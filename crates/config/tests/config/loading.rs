//! Layering, secrets and deploy findings, against real files in a temporary directory.

use std::fs;
use std::path::{Path, PathBuf};

use baseops_config::{
    ConfigError, DatabaseKind, Environment, MASK, SmtpTls, Sources, deploy_findings, load, render_masked,
};

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn sources(dir: &Path, pairs: &[(&str, &str)]) -> Sources {
    Sources { config_dir: dir.join("config"), dotenv_file: Some(dir.join(".env")), vars: vars(pairs) }
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// The repository's own config directory, so its files are tested too.
fn repo_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

const PROD_SECRETS: [(&str, &str); 2] = [
    ("BASEOPS_SECRET_KEY", "a-long-random-production-secret-key-0123456789"),
    ("BASEOPS_DATABASE__URL", "postgres://app:pa55word@db.internal:5432/baseops"),
];

#[test]
fn defaults_alone_give_a_working_dev_setup() {
    let dir = tempfile::tempdir().unwrap();
    let settings = load(&sources(dir.path(), &[])).unwrap();
    assert_eq!(settings.env, Environment::Dev);
    assert!(settings.debug);
    assert!(settings.database.auto_migrate);
    assert_eq!(settings.database.kind(), Some(DatabaseKind::Sqlite));
    assert_eq!(settings.server.bind.port(), 8000);
}

#[test]
fn later_layers_win() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "config/base.toml",
        "[server]\nrequest_timeout_secs = 11\nbody_limit_bytes = 100\nshutdown_grace_secs = 3\n",
    );
    write(dir.path(), "config/dev.toml", "[server]\nrequest_timeout_secs = 22\nbody_limit_bytes = 200\n");
    write(dir.path(), ".env", "BASEOPS_SERVER__REQUEST_TIMEOUT_SECS=33\nOTHER_APP_VAR=ignored\n");
    let settings = load(&sources(dir.path(), &[("BASEOPS_SERVER__REQUEST_TIMEOUT_SECS", "44")])).unwrap();
    assert_eq!(settings.server.request_timeout_secs, 44, "process environment wins");
    assert_eq!(settings.server.body_limit_bytes, 200, "env file wins over base file");
    assert_eq!(settings.server.shutdown_grace_secs, 3, "base file wins over defaults");

    let settings = load(&sources(dir.path(), &[])).unwrap();
    assert_eq!(settings.server.request_timeout_secs, 33, ".env wins over files");
}

#[test]
fn environment_is_chosen_by_baseops_env_also_from_dotenv() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "config/test.toml", "[server]\nbody_limit_bytes = 7\n");
    write(dir.path(), ".env", "BASEOPS_ENV=test\n");
    let settings = load(&sources(dir.path(), &[])).unwrap();
    assert_eq!(settings.env, Environment::Test);
    assert_eq!(settings.server.body_limit_bytes, 7);

    let error = load(&sources(dir.path(), &[("BASEOPS_ENV", "production")])).unwrap_err();
    assert!(matches!(error, ConfigError::UnknownEnvironment(ref name) if name == "production"), "{error}");
}

#[test]
fn production_requires_its_secrets_and_names_the_variables() {
    let dir = tempfile::tempdir().unwrap();
    let error = load(&sources(dir.path(), &[("BASEOPS_ENV", "prod")])).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("BASEOPS_SECRET_KEY"), "{message}");
    assert!(message.contains("BASEOPS_DATABASE__URL"), "{message}");

    let error = load(&sources(dir.path(), &[("BASEOPS_ENV", "staging"), PROD_SECRETS[1]])).unwrap_err();
    assert_eq!(error.to_string(), "missing required secret for staging: set BASEOPS_SECRET_KEY");

    let mut all = vec![("BASEOPS_ENV", "prod")];
    all.extend(PROD_SECRETS);
    let settings = load(&sources(dir.path(), &all)).unwrap();
    assert!(!settings.debug && !settings.database.auto_migrate && settings.session.cookie_secure);
}

#[test]
fn secrets_in_config_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "config/base.toml", "secret_key = \"written-down-in-git\"\n");
    let error = load(&sources(dir.path(), &[])).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("secret_key is a secret"), "{message}");
    assert!(message.contains("BASEOPS_SECRET_KEY"), "{message}");

    write(dir.path(), "config/base.toml", "[database]\nurl = \"postgres://u:p@h/db\"\n");
    let message = load(&sources(dir.path(), &[])).unwrap_err().to_string();
    assert!(message.contains("BASEOPS_DATABASE__URL"), "{message}");
}

#[test]
fn bad_values_name_the_variable_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let message =
        load(&sources(dir.path(), &[("BASEOPS_SERVER__BODY_LIMIT_BYTES", "lots")])).unwrap_err().to_string();
    assert!(message.contains("BASEOPS_SERVER__BODY_LIMIT_BYTES"), "{message}");

    let message =
        load(&sources(dir.path(), &[("BASEOPS_SERVER__BIND", "not-an-address")])).unwrap_err().to_string();
    assert!(message.contains("BASEOPS_SERVER__BIND"), "{message}");

    let message = load(&sources(dir.path(), &[("BASEOPS_DATABSE__URL", "typo")])).unwrap_err().to_string();
    assert!(message.contains("databse"), "unknown keys are reported: {message}");
    // The test and bench harnesses' own variables are not settings, and not typos.
    let harness = [
        ("BASEOPS_TEST_DATABASE_URL", "postgres://localhost/x"),
        ("BASEOPS_BENCH_DATABASE_URL", "postgres://localhost/y"),
    ];
    load(&sources(dir.path(), &harness)).expect("harness variables are ignored");

    let message =
        load(&sources(dir.path(), &[("BASEOPS_DATABASE__URL", "mysql://x")])).unwrap_err().to_string();
    assert!(message.contains("sqlite:// or postgres://"), "{message}");

    write(dir.path(), "config/dev.toml", "[server\nbroken");
    let message = load(&sources(dir.path(), &[])).unwrap_err().to_string();
    assert!(message.contains("dev.toml"), "{message}");
}

#[test]
fn printed_settings_mask_every_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![("BASEOPS_ENV", "prod")];
    all.extend(PROD_SECRETS);
    all.push(("BASEOPS_DATABASE__REPLICA_URL", "postgres://ro:replica-pass@replica/baseops"));
    let settings = load(&sources(dir.path(), &all)).unwrap();
    let printed = render_masked(&settings);
    assert!(!printed.contains("a-long-random-production-secret"), "{printed}");
    assert!(!printed.contains("pa55word"), "{printed}");
    assert!(!printed.contains("replica-pass"), "{printed}");
    assert!(printed.contains("db.internal"), "hosts stay visible: {printed}");
    assert!(printed.contains(MASK));
    assert!(!format!("{settings:?}").contains("pa55word"));
}

#[test]
fn deploy_check_flags_every_unsafe_setting() {
    let dir = tempfile::tempdir().unwrap();
    let dev = load(&sources(dir.path(), &[])).unwrap();
    let findings = deploy_findings(&dev).join("\n");
    for expected in [
        "debug is on",
        "development default",
        "SQLite",
        "cookie_secure",
        "allowed_hosts",
        "not HTTPS",
        "email.backend",
    ] {
        assert!(findings.contains(expected), "missing {expected:?} in:\n{findings}");
    }

    let short = load(&sources(
        dir.path(),
        &[("BASEOPS_SECRET_KEY", "short"), ("BASEOPS_SERVER__CORS_ALLOWED_ORIGINS", "[\"*\"]")],
    ))
    .unwrap();
    let findings = deploy_findings(&short).join("\n");
    assert!(findings.contains("shorter than 32"), "{findings}");
    assert!(findings.contains("cors_allowed_origins"), "{findings}");

    let mut safe = vec![
        ("BASEOPS_ENV", "prod"),
        ("BASEOPS_SERVER__PUBLIC_URL", "https://ops.example.com"),
        ("BASEOPS_SERVER__ALLOWED_HOSTS", "[ops.example.com]"),
        ("BASEOPS_EMAIL__BACKEND", "smtp"),
        ("BASEOPS_EMAIL__SMTP_HOST", "smtp.example.com"),
    ];
    safe.extend(PROD_SECRETS);
    let prod = load(&sources(dir.path(), &safe)).unwrap();
    assert_eq!(deploy_findings(&prod), Vec::<String>::new());

    safe.push(("BASEOPS_DATABASE__URL", "sqlite:///var/lib/baseops/baseops.db"));
    let sqlite = load(&sources(dir.path(), &safe)).unwrap();
    assert_eq!(deploy_findings(&sqlite).len(), 1);
    safe.push(("BASEOPS_DATABASE__ALLOW_SQLITE_IN_PROD", "true"));
    let opted_in = load(&sources(dir.path(), &safe)).unwrap();
    assert!(deploy_findings(&opted_in).is_empty());
}

#[test]
fn repository_config_files_load_in_every_environment() {
    let with_secrets = |env: &str| {
        let mut pairs = vec![("BASEOPS_ENV", env)];
        pairs.extend(PROD_SECRETS);
        Sources { config_dir: repo_config(), dotenv_file: None, vars: vars(&pairs) }
    };
    for env in Environment::ALL {
        let settings = load(&with_secrets(env.name())).unwrap_or_else(|e| panic!("{}: {e}", env.name()));
        assert_eq!(settings.env, env);
        assert_eq!(settings.database.auto_migrate, !env.is_production_like(), "{}", env.name());
        assert_eq!(settings.session.cookie_secure, env.is_production_like(), "{}", env.name());
    }
}

#[test]
fn smtp_settings_are_checked_and_the_password_stays_secret() {
    let dir = tempfile::tempdir().unwrap();
    let settings = load(&sources(dir.path(), &[])).unwrap();
    assert_eq!(settings.jobs.queues, ["default", "email"], "workers take the e-mail queue by default");
    assert_eq!((settings.email.smtp_port, settings.email.smtp_tls), (587, SmtpTls::Starttls));

    let message = load(&sources(dir.path(), &[("BASEOPS_EMAIL__BACKEND", "smtp")])).unwrap_err().to_string();
    assert!(message.contains("BASEOPS_EMAIL__SMTP_HOST is not set"), "{message}");

    let mut prod = vec![("BASEOPS_ENV", "prod")];
    prod.extend(PROD_SECRETS);
    prod.extend([
        ("BASEOPS_EMAIL__BACKEND", "smtp"),
        ("BASEOPS_EMAIL__SMTP_HOST", "smtp.example.com"),
        ("BASEOPS_EMAIL__SMTP_TLS", "none"),
    ]);
    let message = load(&sources(dir.path(), &prod)).unwrap_err().to_string();
    assert!(message.contains("smtp_tls = none") && message.contains("smtp.example.com"), "{message}");
    prod.push(("BASEOPS_EMAIL__SMTP_HOST", "127.0.0.1"));
    assert!(load(&sources(dir.path(), &prod)).is_ok(), "unencrypted SMTP is fine on loopback");

    prod.extend([("BASEOPS_EMAIL__SMTP_TLS", "starttls"), ("BASEOPS_EMAIL__SMTP_USERNAME", "mailer")]);
    let message = load(&sources(dir.path(), &prod)).unwrap_err().to_string();
    assert!(message.contains("BASEOPS_EMAIL__SMTP_PASSWORD"), "{message}");
    prod.push(("BASEOPS_EMAIL__SMTP_PASSWORD", "smtp-hunter2"));
    let settings = load(&sources(dir.path(), &prod)).unwrap();
    assert_eq!(settings.email.smtp_password.as_ref().map(|secret| secret.expose()), Some("smtp-hunter2"));
    assert!(!render_masked(&settings).contains("smtp-hunter2"));
    assert!(!format!("{settings:?}").contains("smtp-hunter2"));

    write(dir.path(), "config/base.toml", "[email]\nsmtp_password = \"written-down\"\n");
    let message = load(&sources(dir.path(), &[])).unwrap_err().to_string();
    assert!(message.contains("BASEOPS_EMAIL__SMTP_PASSWORD"), "{message}");
}
