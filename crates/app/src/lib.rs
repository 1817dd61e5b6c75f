//! What an app is, and how a build is composed of apps.
//!
//! An app — a business app such as leads, or a shared service such as e-mail — is a crate
//! that exposes one [`App`] value carrying everything it brings: routes, migrations,
//! permissions and default-role grants, upload limits, job types, schedules, the events it
//! emits and the handlers it subscribes, links to other apps' records, its services, CLI
//! subcommands, demo data, console pages, and the apps it depends on.
//!
//! The composition root (the `baseops` crate) is one list of apps. [`Apps::compose`] checks
//! it and orders it by the declared dependencies; the server, the worker, the CLI and the
//! tests all take what they need from the one [`Apps`] value. Adding an app touches its
//! crate, the workspace and that list, nothing else.

mod app;
mod background;
mod command;
mod compose;

pub use app::{
    ApiMiddleware, App, ConsolePage, ConsoleSearch, ConsoleSection, ConsoleTemplate, ConsoleWork, LargeBody,
    Route, SearchHit, WorkCard, WorkFigure,
};
pub use background::{Background, RunsIn};
pub use command::{Command, CommandContext, Demo, EXIT_FAILURE, EXIT_SUCCESS, Progress, Seed};
pub use compose::{Apps, CompositionError};

/// An error from an app's code that the platform reports but does not inspect.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
