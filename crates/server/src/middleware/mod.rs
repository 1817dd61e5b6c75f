//! The middleware stack, one concern per module; the order is set in `router.rs`.

pub(crate) mod allowed_hosts;
pub(crate) mod body_limit;
pub(crate) mod client_ip;
pub(crate) mod cors;
pub(crate) mod detach;
pub(crate) mod metrics;
pub(crate) mod problem;
pub(crate) mod request_id;
pub(crate) mod security_headers;
pub(crate) mod timeout;
pub(crate) mod trace;
