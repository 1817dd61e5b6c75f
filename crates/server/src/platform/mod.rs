//! Endpoints of the platform itself, outside `/api/v1`.

pub(crate) mod health;
pub(crate) mod metrics;
