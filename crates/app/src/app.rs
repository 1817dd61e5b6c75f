//! The descriptor each app hands to the composition root: everything the app brings, in one
//! value, so wiring an app in is one line in one list.

use baseops_config::Settings;
use baseops_core::{AppState, DefaultGrant, DefaultRole, Links, PermissionDef};
use baseops_db::MigrationList;
use baseops_jobs::{EventBus, Recurring, Registry};
use utoipa_axum::router::OpenApiRouter;

use crate::{Background, BoxError, Command, Demo};

/// An app as the platform sees it. Every field has an empty default, so an app states only
/// what it brings:
///
/// ```ignore
/// pub fn app() -> App {
///     App::new("leads")
///         .depends_on(&["users", "customers"])
///         .with_api(api::routes)
///         .with_migrations(migration::migrations)
///         .with_permissions(permission::PERMISSIONS, permission::DEFAULT_GRANTS)
///         .with_jobs(|jobs| jobs.register::<ValidateImport>().register::<CommitImport>())
///         .with_events(event::EMITTED, event::subscribe)
/// }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct App {
    /// Short unique name (`tasks`, `leads`): `[a-z][a-z0-9_]*`, used in logs, docs and errors.
    pub name: &'static str,
    /// The apps whose tables this app's migrations refer to, or whose services it needs at
    /// run time: they must be composed too, and their migrations run first.
    pub depends_on: &'static [&'static str],
    /// Apps this one calls at run time whose tables refer to its own (the users app seeds
    /// the roles app's roles): they must be composed too, but their migrations run after.
    pub uses: &'static [&'static str],
    /// Routes mounted under `/api/v1`, documented in the OpenAPI document.
    pub api: fn() -> OpenApiRouter<AppState>,
    /// The app's migrations, oldest first.
    pub migrations: MigrationList,
    /// The permissions the app declares.
    pub permissions: &'static [PermissionDef],
    /// What the default roles get of this app's permissions.
    pub default_grants: &'static [DefaultGrant],
    /// The default roles new organizations start with (the roles app declares them).
    pub default_roles: &'static [DefaultRole],
    /// Routes that take bodies larger than `server.body_limit_bytes` (file uploads).
    pub large_bodies: &'static [LargeBody],
    /// Middleware the app puts around every API route (the idempotency app's key handling).
    pub api_middleware: &'static [ApiMiddleware],
    /// Write routes whose service claims the `Idempotency-Key` inside its own transaction
    /// (exactly once even across a crash); the platform's key handling leaves them alone.
    pub idempotent_in_service: &'static [Route],
    /// Registers the job types the app defines.
    pub jobs: fn(Registry) -> Registry,
    /// Recurring jobs; each job must be registered by some app.
    pub schedules: &'static [Recurring],
    /// Names of the domain events the app emits.
    pub emits: &'static [&'static str],
    /// Subscribes the app's handlers to domain events (its own or other apps').
    pub subscriptions: fn(EventBus) -> EventBus,
    /// Registers the kinds of record other apps may link to, and the app's own links.
    pub links: fn(Links) -> Links,
    /// Installs the app's services in the application state (a session store, a mailer, the
    /// authenticator), from the settings; runs in dependency order.
    pub services: fn(AppState) -> Result<AppState, BoxError>,
    /// Long-running tasks of the `serve` and `worker` processes.
    pub background: &'static [Background],
    /// Subcommands the app adds to `baseops`.
    pub commands: fn() -> Vec<Command>,
    /// What `baseops demo-data <app>` creates.
    pub demo: Option<Demo>,
    /// What the app adds to the admin console.
    pub console: ConsoleSection,
}

/// A route that accepts a body larger than `server.body_limit_bytes` — a file upload — up to
/// its own limit. Every other route keeps the global limit.
#[derive(Clone, Copy, Debug)]
pub struct LargeBody {
    /// The method, upper case (`POST`).
    pub method: &'static str,
    /// The route as the app declares it, under `/api/v1` (`/tasks/{id}/attachments`), or a
    /// console route in full (`/admin/leads/import`).
    pub path: &'static str,
    /// Its limit in bytes, from the settings (the file limit plus room for the form around it).
    pub limit: fn(&Settings) -> usize,
}

impl LargeBody {
    /// Whether it is a console route (declared in full) rather than an API one.
    pub fn is_console(&self) -> bool {
        self.path.starts_with("/admin/")
    }

    /// The path the server mounts it at: `/api/v1` and the API route, or the console route.
    pub fn mounted_path(&self) -> String {
        if self.is_console() { self.path.to_owned() } else { format!("/api/v1{}", self.path) }
    }
}

/// A route of the API, as an app declares it (`POST`, `/leads`: under `/api/v1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The method, upper case.
    pub method: &'static str,
    /// The path as the router declares it, under `/api/v1` (`/tasks/{id}/comments`).
    pub path: &'static str,
}

/// Middleware around every API route: it sees the request after routing (its
/// `MatchedPath`) and may answer itself or pass it on.
pub type ApiMiddleware = fn(
    axum::extract::State<AppState>,
    axum::extract::Request,
    axum::middleware::Next,
) -> futures_util::future::BoxFuture<'static, axum::response::Response>;

/// A page in the admin console's navigation, under `/admin/<path>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsolePage {
    /// The path under `/admin` (`leads`, `tasks/board`).
    pub path: &'static str,
    /// The title in the navigation and the command palette.
    pub title: &'static str,
    /// The permission a person needs to see the entry (any scope); `None`: everyone signed
    /// in; [`ConsolePage::SUPERUSERS`]: platform staff only.
    pub permission: Option<&'static str>,
}

impl ConsolePage {
    /// The `permission` of pages for platform staff only (the job queue).
    pub const SUPERUSERS: &'static str = "platform.superuser";
}

/// A record the command palette found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SearchHit {
    /// What it is (`Lead`, `Task`).
    pub kind: &'static str,
    /// Its name or title.
    pub title: String,
    /// A second line (e-mail, company, status).
    pub subtitle: String,
    /// Its console page.
    pub url: String,
}

/// Finds up to `limit` of an app's records matching a query, within the caller's reach; an
/// app without the permission to list its records answers an empty list.
pub type ConsoleSearch =
    fn(
        AppState,
        baseops_core::RequestContext,
        String,
        u64,
    ) -> futures_util::future::BoxFuture<'static, Result<Vec<SearchHit>, baseops_core::ApiError>>;

/// A person's own work in one app, for the console's home page: a few counts, each linking
/// to the list it counts, and the first records to turn to.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WorkCard {
    /// The card's heading (`Your tasks`).
    pub title: String,
    /// The list of all of it.
    pub url: String,
    /// Counts worth a glance (`3 open`, `1 overdue`).
    pub figures: Vec<WorkFigure>,
    /// The records to turn to first.
    pub items: Vec<SearchHit>,
    /// What the card says when `items` is empty.
    pub empty: String,
}

/// One count on a [`WorkCard`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct WorkFigure {
    /// What is counted (`open`).
    pub label: String,
    /// The count as shown: exact, or a bound with a `+` when there are more.
    pub value: String,
    /// The list the count is of.
    pub url: String,
    /// Whether a non-zero count asks for attention (overdue work).
    pub warn: bool,
}

impl WorkFigure {
    /// A bounded count of `label` (`open`), linking to the list at `url` it counts.
    pub fn of(label: &str, count: baseops_core::BoundedCount, url: &str) -> Self {
        Self { label: label.to_owned(), value: count.shown(), url: url.to_owned(), warn: false }
    }

    /// The same, asking for attention when not zero (overdue work).
    #[must_use]
    pub fn warning(self) -> Self {
        Self { warn: true, ..self }
    }
}

/// The signed-in person's [`WorkCard`] for an app, or `None` when the app has nothing for them
/// (no permission, nothing of theirs to show).
pub type ConsoleWork =
    fn(
        AppState,
        baseops_core::RequestContext,
    ) -> futures_util::future::BoxFuture<'static, Result<Option<WorkCard>, baseops_core::ApiError>>;

/// A template an app brings: its name (`leads/list.html`) and built-in source, which a file
/// of the same name in `console.templates_dir` overrides.
pub type ConsoleTemplate = (&'static str, &'static str);

/// What an app adds to the admin console.
#[derive(Clone, Copy, Debug)]
pub struct ConsoleSection {
    /// Its entries in the navigation, the first being the app's own.
    pub pages: &'static [ConsolePage],
    /// Its routes, mounted under `/admin` (they declare full paths: `/leads/{id}`).
    pub routes: fn() -> axum::Router<AppState>,
    /// Its templates.
    pub templates: &'static [ConsoleTemplate],
    /// Its records in the command palette.
    pub search: Option<ConsoleSearch>,
    /// The signed-in person's own work in it, on the home page and the dashboard.
    pub work: Option<ConsoleWork>,
}

impl ConsoleSection {
    /// Nothing in the console.
    pub const EMPTY: Self =
        Self { pages: &[], routes: axum::Router::new, templates: &[], search: None, work: None };
}

fn no_services(state: AppState) -> Result<AppState, BoxError> {
    Ok(state)
}

impl App {
    /// An app that brings nothing yet.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            depends_on: &[],
            uses: &[],
            api: OpenApiRouter::new,
            migrations: Vec::new,
            permissions: &[],
            default_grants: &[],
            default_roles: &[],
            large_bodies: &[],
            api_middleware: &[],
            idempotent_in_service: &[],
            jobs: std::convert::identity,
            schedules: &[],
            emits: &[],
            subscriptions: std::convert::identity,
            links: std::convert::identity,
            services: no_services,
            background: &[],
            commands: Vec::new,
            demo: None,
            console: ConsoleSection::EMPTY,
        }
    }

    /// The apps it needs (their migrations run first).
    pub const fn depends_on(mut self, apps: &'static [&'static str]) -> Self {
        self.depends_on = apps;
        self
    }

    /// Apps it calls that come after it (see [`App::uses`]).
    pub const fn uses(mut self, apps: &'static [&'static str]) -> Self {
        self.uses = apps;
        self
    }

    /// Sets the API routes.
    pub const fn with_api(mut self, api: fn() -> OpenApiRouter<AppState>) -> Self {
        self.api = api;
        self
    }

    /// Sets the migrations.
    pub const fn with_migrations(mut self, migrations: MigrationList) -> Self {
        self.migrations = migrations;
        self
    }

    /// Sets the permissions the app declares and what the default roles get of them.
    pub const fn with_permissions(
        mut self,
        permissions: &'static [PermissionDef],
        default_grants: &'static [DefaultGrant],
    ) -> Self {
        self.permissions = permissions;
        self.default_grants = default_grants;
        self
    }

    /// Sets the default roles (the roles app's).
    pub const fn with_default_roles(mut self, roles: &'static [DefaultRole]) -> Self {
        self.default_roles = roles;
        self
    }

    /// Sets the routes that take large bodies.
    pub const fn with_large_bodies(mut self, routes: &'static [LargeBody]) -> Self {
        self.large_bodies = routes;
        self
    }

    /// Sets the middleware the app puts around every API route.
    pub const fn with_api_middleware(mut self, middleware: &'static [ApiMiddleware]) -> Self {
        self.api_middleware = middleware;
        self
    }

    /// Sets the routes whose services claim `Idempotency-Key` themselves.
    pub const fn with_idempotent_in_service(mut self, routes: &'static [Route]) -> Self {
        self.idempotent_in_service = routes;
        self
    }

    /// Sets the job types the app registers.
    pub const fn with_jobs(mut self, jobs: fn(Registry) -> Registry) -> Self {
        self.jobs = jobs;
        self
    }

    /// Sets the recurring jobs.
    pub const fn with_schedules(mut self, schedules: &'static [Recurring]) -> Self {
        self.schedules = schedules;
        self
    }

    /// Sets the events the app emits and the handlers it subscribes.
    pub const fn with_events(
        mut self,
        emits: &'static [&'static str],
        subscriptions: fn(EventBus) -> EventBus,
    ) -> Self {
        self.emits = emits;
        self.subscriptions = subscriptions;
        self
    }

    /// Sets the app's link targets and sources.
    pub const fn with_links(mut self, links: fn(Links) -> Links) -> Self {
        self.links = links;
        self
    }

    /// Sets how the app installs its services.
    pub const fn with_services(mut self, services: fn(AppState) -> Result<AppState, BoxError>) -> Self {
        self.services = services;
        self
    }

    /// Sets the app's long-running tasks.
    pub const fn with_background(mut self, background: &'static [Background]) -> Self {
        self.background = background;
        self
    }

    /// Sets the subcommands the app adds to `baseops`.
    pub const fn with_commands(mut self, commands: fn() -> Vec<Command>) -> Self {
        self.commands = commands;
        self
    }

    /// Sets what `baseops demo-data` creates for this app.
    pub const fn with_demo(mut self, demo: Demo) -> Self {
        self.demo = Some(demo);
        self
    }

    /// Sets what the app adds to the console.
    pub const fn with_console(mut self, console: ConsoleSection) -> Self {
        self.console = console;
        self
    }
}
