//! The users app through its HTTP API — sign-in, sessions, tokens, organizations, members,
//! invitations, password reset, e-mail verification, two-factor login and the audit trail —
//! on the whole build, on SQLite (default) or PostgreSQL (`BASEOPS_TEST_DATABASE_URL`): one
//! test binary, one module per story. Roles and grants have their own tests in the roles app.

mod access_cache;
mod audit_api;
mod auth;
mod client_ip;
mod console;
mod console_links;
mod console_people;
mod console_settings;
mod if_match;
mod invitations;
mod least_privilege;
mod precedence;
mod rbac;
mod reauth;
mod recovery;
mod security_mail;
mod session_expiry;
mod session_store;
mod support;
mod throttle;
mod token_grant;
mod two_factor;
mod two_factor_at_rest;
