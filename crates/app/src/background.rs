//! Long-running tasks an app needs in the processes that serve requests or run jobs: a
//! listener that carries live notifications between processes, the audit trail's sealer.

use baseops_core::AppState;
use futures_util::future::BoxFuture;
use tokio::sync::watch;

/// Which processes run a background task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunsIn {
    /// `baseops serve` only.
    Server,
    /// `baseops worker` only (and `serve --with-worker`).
    Worker,
    /// Both.
    Both,
}

/// A task started with the process and told to stop at shutdown.
#[derive(Clone, Copy, Debug)]
pub struct Background {
    /// For logs.
    pub name: &'static str,
    /// Where it runs.
    pub runs_in: RunsIn,
    /// The task: it runs until `stop` turns true, then finishes its work and returns.
    pub run: fn(AppState, watch::Receiver<bool>) -> BoxFuture<'static, ()>,
}
