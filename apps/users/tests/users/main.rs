//! The users app through its HTTP API — sign-in, sessions, tokens, organizations, members,
//! invitations, password reset, e-mail verification, two-factor login and the audit trail —
//! on the whole build, on SQLite (default) or PostgreSQL (`BASEOPS_TEST_DATABASE_URL`): one
//! test binary, one module per story. Roles and grants have their own tests in the roles app.

mod access_cache;
mod audit_api;
mod auth;
mod client_ip;
mod if_match;
mod invitations;
mod precedence;
mod rbac;
mod recovery;
mod session_expiry;
mod session_store;
mod support;
mod token_grant;
mod two_factor;
