//! The tracing subscriber: the console plus the three rotated log files.

use std::path::Path;

use baseops_config::{LogFormat, Settings};
use tracing::Level;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::{EnvFilter, Targets, filter_fn};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::TelemetryError;

/// The target sqlx logs statements under.
const SQL_TARGET: &str = "sqlx::query";

/// Keeps the log file writers alive; dropping it flushes them. Hold it for the process.
#[must_use = "dropping the guard stops file logging"]
pub struct LoggingGuard {
    _writers: Vec<WorkerGuard>,
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Where console log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    /// Long-running processes (`serve`, `worker`): stdout, as container platforms expect.
    Stdout,
    /// One-shot commands whose stdout is their result (`migrate --status`, `jobs list`), so
    /// that scripts can parse it.
    Stderr,
}

/// Installs the global subscriber described by `settings.log`, with console lines on `console`.
///
/// # Errors
/// A bad `log.level`, an unwritable `log.dir`, or a subscriber already installed.
pub fn init_logging(settings: &Settings, console: Console) -> Result<LoggingGuard, TelemetryError> {
    let log = &settings.log;
    let level = log.level.clone();
    let console_filter = EnvFilter::try_new(&level)
        .map_err(|error| TelemetryError::BadFilter { level: level.clone(), message: error.to_string() })?;

    let console_layer = match console {
        Console::Stdout => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
            format_layer(log.format, std::io::stdout, ansi)
        }
        Console::Stderr => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            format_layer(log.format, std::io::stderr, ansi)
        }
    };
    let mut layers: Vec<BoxedLayer> = vec![console_layer.with_filter(console_filter).boxed()];
    let mut writers = Vec::new();

    if log.files {
        let not_sql = filter_fn(|metadata| metadata.target() != SQL_TARGET);
        let (app, guard) = file_writer(&log.dir, "app", log.retention_days)?;
        writers.push(guard);
        layers.push(
            format_layer(log.format, app, false)
                .with_filter(Targets::new().with_default(Level::INFO))
                .with_filter(not_sql.clone())
                .boxed(),
        );

        let (errors, guard) = file_writer(&log.dir, "errors", log.retention_days)?;
        writers.push(guard);
        layers.push(
            format_layer(log.format, errors, false)
                .with_filter(Targets::new().with_default(Level::WARN))
                .with_filter(not_sql)
                .boxed(),
        );

        let statements = if settings.database.log_statements { Level::DEBUG } else { Level::WARN };
        let (db, guard) = file_writer(&log.dir, "db", log.retention_days)?;
        writers.push(guard);
        layers.push(
            format_layer(log.format, db, false)
                .with_filter(
                    Targets::new().with_target(SQL_TARGET, statements).with_target("baseops_db", Level::INFO),
                )
                .boxed(),
        );
    }

    tracing_subscriber::registry().with(layers).try_init().map_err(|_| TelemetryError::AlreadyInitialized)?;
    Ok(LoggingGuard { _writers: writers })
}

fn format_layer<W>(format: LogFormat, writer: W, ansi: bool) -> BoxedLayer
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer().with_writer(writer).with_span_events(FmtSpan::NONE);
    match format {
        LogFormat::Json => layer.json().with_current_span(false).with_span_list(true).boxed(),
        LogFormat::Pretty => layer.with_ansi(ansi).boxed(),
    }
}

fn file_writer(
    dir: &Path,
    name: &str,
    retention_days: usize,
) -> Result<(tracing_appender::non_blocking::NonBlocking, WorkerGuard), TelemetryError> {
    let unwritable =
        |message: String| TelemetryError::LogDirectory { dir: dir.display().to_string(), message };
    std::fs::create_dir_all(dir).map_err(|error| unwritable(error.to_string()))?;
    // Files are named `app.log.2026-11-24`; the newest `retention_days` are kept.
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(format!("{name}.log"))
        .max_log_files(retention_days.max(1))
        .build(dir)
        .map_err(|error| unwritable(error.to_string()))?;
    Ok(tracing_appender::non_blocking(appender))
}
