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
    session_findings(settings, &mut findings);
    auth_findings(settings, &mut findings);
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

/// Session settings weaker than OWASP ASVS level 2 asks.
fn session_findings(settings: &Settings, findings: &mut Vec<String>) {
    let session = &settings.session;
    if !session.cookie_name.starts_with("__Host-") {
        findings.push(format!(
            "session.cookie_name {:?} has no __Host- prefix: a sibling subdomain could set or overwrite it",
            session.cookie_name
        ));
    }
    if session.idle_minutes > ASVS_IDLE_MINUTES {
        findings.push(format!(
            "session.idle_minutes is {}: ASVS level 2 ends unused sessions within {ASVS_IDLE_MINUTES}",
            session.idle_minutes
        ));
    }
    if session.max_age_hours > ASVS_MAX_AGE_HOURS {
        findings.push(format!(
            "session.max_age_hours is {}: ASVS level 2 asks to log in again within {ASVS_MAX_AGE_HOURS} hours",
            session.max_age_hours
        ));
    }
}

/// Password and throttle settings weaker than the defaults that meet ASVS level 2.
fn auth_findings(settings: &Settings, findings: &mut Vec<String>) {
    let auth = &settings.auth;
    if auth.argon2_memory_kib < OWASP_ARGON2_MEMORY_KIB {
        findings.push(format!(
            "auth.argon2_memory_kib is {}: below OWASP's minimum of {OWASP_ARGON2_MEMORY_KIB} for Argon2id",
            auth.argon2_memory_kib
        ));
    }
    if auth.min_password_length < ASVS_MIN_PASSWORD_LENGTH {
        findings.push(format!(
            "auth.min_password_length is {}: ASVS asks for at least {ASVS_MIN_PASSWORD_LENGTH}",
            auth.min_password_length
        ));
    }
    if auth.max_failures_per_account > ASVS_MAX_FAILURES_PER_ACCOUNT {
        findings.push(format!(
            "auth.max_failures_per_account is {}: ASVS 2.2.1 allows at most {ASVS_MAX_FAILURES_PER_ACCOUNT} failed attempts on an account",
            auth.max_failures_per_account
        ));
    }
    if auth.max_failures_per_account_and_ip > 10 || auth.lockout_secs == 0 {
        findings.push(format!(
            "auth.max_failures_per_account_and_ip is {} with auth.lockout_secs {}: guessing from one address is barely slowed",
            auth.max_failures_per_account_and_ip, auth.lockout_secs
        ));
    }
    if !auth.revoke_tokens_on_password_reset {
        findings.push(
            "auth.revoke_tokens_on_password_reset is false: a token taken with a stolen password outlives the reset"
                .to_owned(),
        );
    }
    if settings.server.metrics_allowed_ips.iter().any(std::net::IpAddr::is_unspecified) {
        findings.push("server.metrics_allowed_ips holds an unspecified address (0.0.0.0 or ::)".to_owned());
    }
}

/// ASVS 4.0.3 3.3.2 (level 2): idle time-out, minutes.
const ASVS_IDLE_MINUTES: u64 = 30;
/// ASVS 4.0.3 3.3.2 (level 2): re-authentication at least every 12 hours.
const ASVS_MAX_AGE_HOURS: u64 = 12;
/// OWASP's Password Storage Cheat Sheet: Argon2id with at least 19 MiB.
const OWASP_ARGON2_MEMORY_KIB: u32 = 19_456;
/// ASVS 4.0.3 2.1.1: user-chosen passwords of at least 12 characters.
const ASVS_MIN_PASSWORD_LENGTH: usize = 12;
/// ASVS 4.0.3 2.2.1: no more than 100 failed attempts an hour on one account.
const ASVS_MAX_FAILURES_PER_ACCOUNT: u32 = 100;
