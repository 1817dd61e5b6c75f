//! Logging and metrics, set up once per process.
//!
//! Logs go to the console (stdout for `serve`, stderr for one-shot commands; readable in dev
//! and test, JSON in staging and prod) and, unless `log.files` is off, to three files in
//! `log.dir`, rotated daily:
//! - `app.log` — info and above, everything but SQL statements;
//! - `errors.log` — warnings and errors, with their causes;
//! - `db.log` — SQL statements with their durations (target `sqlx::query`): all of them when
//!   `database.log_statements` is on, otherwise only those slower than
//!   `database.slow_query_ms`, at warn.
//!
//! Every line of a request carries the request's span, and so its `request_id`.

mod logging;
mod metrics_recorder;

pub use logging::{Console, LoggingGuard, init_logging};
pub use metrics_recorder::{
    HTTP_DURATION_METRIC, HTTP_REQUESTS_METRIC, PANICS_METRIC, metrics_handle, panic_message,
};

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// `log.level` is not a valid filter.
    #[error("log.level {level:?} is not a valid filter: {message}")]
    BadFilter {
        /// The configured filter.
        level: String,
        /// The parser's complaint.
        message: String,
    },
    /// The log directory or a log file could not be created.
    #[error("cannot write log files in {dir}: {message}")]
    LogDirectory {
        /// The directory.
        dir: String,
        /// Why.
        message: String,
    },
    /// Another global logger was installed first.
    #[error("logging was already initialized")]
    AlreadyInitialized,
}
