//! The console kit's form pieces the people pages use.

pub(crate) use baseops_console::form::{DoneQuery, Failure, all, answer, done, no_store, one};
