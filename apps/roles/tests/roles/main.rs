//! The roles app through its HTTP API — the permission registry, the default roles every
//! organization starts with, custom roles, giving members roles, who may do what, and the
//! audit trail of it all — on the whole build, on SQLite (default) or PostgreSQL
//! (`BASEOPS_TEST_DATABASE_URL`): one test binary, one module per story.

mod audit;
mod console;
mod custom_roles;
mod default_roles;
mod if_match;
mod member_roles;
mod permissions;
mod rbac;
mod support;
