//! The HTTP server: the router every app's routes are mounted in, the middleware stack, the
//! platform endpoints (`/healthz`, `/readyz`, `/metrics`, `/api/openapi.json`, `/api/docs`)
//! and a server loop with graceful shutdown.
//!
//! The middleware, outermost first: request id → tracing span → compression → metrics →
//! problem details → security headers → panic catcher → allowed hosts → CORS → timeout →
//! body limit → the handler.

mod middleware;
mod openapi;
mod platform;
mod router;
mod shutdown;

pub use openapi::openapi_document;
pub use router::build_router;
pub use shutdown::{serve, shutdown_signal};
