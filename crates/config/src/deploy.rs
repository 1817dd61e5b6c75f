//! `baseops check --deploy`: settings that are unsafe for a production deployment.

use crate::{DEV_SECRET_KEY, DatabaseKind, EmailBackend, Settings};

/// Minimum length of a production secret key.
pub const MIN_SECRET_KEY_LEN: usize = 32;

/// One line per unsafe setting; empty when the settings are fit for production.
pub fn deploy_findings(settings: &Settings) -> Vec<String> {
    let mut findings = Vec::new();
    if settings.debug {
        findings.push("debug is on: set BASEOPS_DEBUG=false".to_owned());
    }
    let key = settings.secret_key.expose();
    if key == DEV_SECRET_KEY {
        findings.push(
            "secret_key is the development default: set BASEOPS_SECRET_KEY to a random value".to_owned(),
        );
    } else if key.chars().count() < MIN_SECRET_KEY_LEN {
        findings.push(format!(
            "secret_key is shorter than {MIN_SECRET_KEY_LEN} characters: set a longer BASEOPS_SECRET_KEY"
        ));
    }
    if settings.database.kind() == Some(DatabaseKind::Sqlite) && !settings.database.allow_sqlite_in_prod {
        findings.push(
            "database is SQLite: use PostgreSQL, or opt in with database.allow_sqlite_in_prod = true"
                .to_owned(),
        );
    }
    if !settings.session.cookie_secure {
        findings.push("session.cookie_secure is false: cookies would travel over plain HTTP".to_owned());
    }
    if settings.server.allowed_hosts.is_empty() {
        findings.push("server.allowed_hosts is empty: any Host header is accepted".to_owned());
    }
    if settings.server.public_url.scheme() != "https" {
        findings.push(format!("server.public_url is not HTTPS: {}", settings.server.public_url));
    }
    if settings.email.backend != EmailBackend::Smtp {
        findings.push(
            "email.backend is not smtp: password-reset and invitation mail would never reach a mailbox"
                .to_owned(),
        );
    }
    if settings.server.cors_allowed_origins.iter().any(|origin| origin == "*") {
        findings.push("server.cors_allowed_origins contains \"*\": any web site may call the API".to_owned());
    }
    findings
}
