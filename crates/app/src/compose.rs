//! The composition: a list of apps checked once at start-up and put in dependency order, and
//! everything derived from it — migrations, permissions, jobs, schedules, the event bus, the
//! links registry, the application state, commands and background tasks.
//!
//! Whatever can be checked without a database is checked in [`Apps::compose`], so that a
//! forgotten registration stops the process at start (and fails the composed build's test in
//! CI) instead of failing silently in production: a dependency that is not composed, a
//! dependency cycle, two apps with one migration, permission, job, schedule, command or
//! console page, a scheduled job no app registers, a default grant to a role that does not
//! exist or of permissions the app does not declare, a handler subscribed to an event no app
//! emits.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use baseops_config::Settings;
use baseops_core::{AppState, Links, PermissionRegistry, pattern_matches};
use baseops_db::{Database, DbError, Migrator};
use baseops_jobs::{EventBus, Recurring, Registry};

use crate::{ApiMiddleware, App, Background, BoxError, Command, Demo, LargeBody, RunsIn};

/// Why a list of apps does not compose; every problem found, one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositionError {
    /// What is wrong, one sentence each.
    pub problems: Vec<String>,
}

impl fmt::Display for CompositionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the apps of this build do not compose:")?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompositionError {}

/// The apps of a build, checked and in dependency order (an app after every app it depends
/// on; otherwise in the order listed). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Apps {
    apps: Vec<App>,
}

impl Apps {
    /// Checks the list and orders it by the declared dependencies.
    ///
    /// # Errors
    /// Every problem found (see the module documentation).
    pub fn compose(list: Vec<App>) -> Result<Self, CompositionError> {
        let mut problems = Vec::new();
        check_names(&list, &mut problems);
        let apps = order(list, &mut problems);
        if problems.is_empty() {
            let composed = Self { apps };
            composed.check_parts(&mut problems);
            if problems.is_empty() {
                return Ok(composed);
            }
        }
        Err(CompositionError { problems })
    }

    /// The apps, in dependency order.
    pub fn iter(&self) -> impl Iterator<Item = &App> {
        self.apps.iter()
    }

    /// The apps' names, in dependency order.
    pub fn names(&self) -> Vec<&'static str> {
        self.apps.iter().map(|app| app.name).collect()
    }

    /// Every app's migrations, in dependency order.
    ///
    /// # Errors
    /// [`DbError::DuplicateMigration`] (already ruled out by [`Apps::compose`]).
    pub fn migrator(&self) -> Result<Migrator, DbError> {
        Migrator::new(self.apps.iter().map(|app| app.migrations).collect())
    }

    /// Every permission, the default roles and what each app grants them.
    pub fn permissions(&self) -> PermissionRegistry {
        PermissionRegistry::new(
            self.apps.iter().flat_map(|app| app.permissions.iter().copied()).collect(),
            self.apps.iter().flat_map(|app| app.default_roles.iter().copied()).collect(),
            self.apps.iter().flat_map(|app| app.default_grants.iter().copied()).collect(),
        )
    }

    /// Every job type of the build, so a worker runs whatever any app enqueues.
    pub fn jobs(&self) -> Registry {
        let mut registry = Registry::new();
        for app in &self.apps {
            // Clashes were ruled out by `compose`.
            let _ = registry.absorb((app.jobs)(Registry::new()));
        }
        registry
    }

    /// Every recurring job.
    pub fn schedules(&self) -> Vec<Recurring> {
        self.apps.iter().flat_map(|app| app.schedules.iter().copied()).collect()
    }

    /// Every app's event handlers.
    pub fn events(&self) -> EventBus {
        self.apps.iter().fold(EventBus::new(), |bus, app| (app.subscriptions)(bus))
    }

    /// Every app's link targets and sources.
    pub fn links(&self) -> Links {
        self.apps.iter().fold(Links::default(), |links, app| (app.links)(links))
    }

    /// The routes that take bodies larger than the global limit.
    pub fn large_bodies(&self) -> impl Iterator<Item = &LargeBody> {
        self.apps.iter().flat_map(|app| app.large_bodies.iter())
    }

    /// The middleware the apps put around every API route, in dependency order.
    pub fn api_middleware(&self) -> impl Iterator<Item = ApiMiddleware> + '_ {
        self.apps.iter().flat_map(|app| app.api_middleware.iter().copied())
    }

    /// Whether the service of `method path` (as routed, under `/api/v1`) claims
    /// `Idempotency-Key` itself.
    pub fn is_idempotent_in_service(&self, method: &str, path: &str) -> bool {
        self.apps
            .iter()
            .flat_map(|app| app.idempotent_in_service.iter())
            .any(|route| route.method == method && route.path == path)
    }

    /// The subcommands the apps add to `baseops`.
    pub fn commands(&self) -> Vec<Command> {
        self.apps.iter().flat_map(|app| (app.commands)()).collect()
    }

    /// What `baseops demo-data` can create, by noun.
    pub fn demos(&self) -> Vec<Demo> {
        self.apps.iter().filter_map(|app| app.demo).collect()
    }

    /// The background tasks of a process that serves requests, runs jobs, or both
    /// (`serve --with-worker`); each task once.
    pub fn background(&self, serves: bool, works: bool) -> Vec<Background> {
        self.apps
            .iter()
            .flat_map(|app| app.background.iter().copied())
            .filter(|task| match task.runs_in {
                RunsIn::Server => serves,
                RunsIn::Worker => works,
                RunsIn::Both => serves || works,
            })
            .collect()
    }

    /// The application state: settings, pools, the permission registry, then each app's
    /// services in dependency order, the event bus, the links registry and the apps.
    ///
    /// # Errors
    /// A service that cannot be set up from the settings (a Redis URL that does not parse,
    /// a storage directory that cannot be created), naming the app.
    pub fn state(&self, settings: Settings, db: Database, migrator: Migrator) -> Result<AppState, BoxError> {
        let mut state = AppState::new(settings, db, migrator, self.permissions());
        for app in &self.apps {
            state = (app.services)(state).map_err(|error| format!("the {} app: {error}", app.name))?;
        }
        Ok(state.with_extension(self.events()).with_extension(self.links()).with_extension(self.clone()))
    }

    fn check_parts(&self, problems: &mut Vec<String>) {
        if let Err(error) = self.migrator() {
            problems.push(error.to_string());
        }
        self.check_permissions(problems);
        self.check_jobs(problems);
        self.check_events(problems);
        unique(self.commands().iter().map(|command| command.name()), "command", problems);
        unique(self.demos().iter().map(|demo| demo.noun.to_owned()), "demo-data noun", problems);
        let pages =
            self.apps.iter().flat_map(|app| app.console.pages.iter().map(|page| page.path.to_owned()));
        unique(pages, "console page", problems);
        let templates =
            self.apps.iter().flat_map(|app| app.console.templates.iter().map(|(name, _)| (*name).to_owned()));
        unique(templates, "console template", problems);
    }

    fn check_permissions(&self, problems: &mut Vec<String>) {
        let registry = self.permissions();
        unique(registry.permissions().iter().map(|p| p.name.to_owned()), "permission", problems);
        unique(registry.default_roles().iter().map(|role| role.key.to_owned()), "default role", problems);
        for app in &self.apps {
            for grant in app.default_grants {
                if registry.default_role(grant.role).is_none() {
                    problems.push(format!(
                        "the {} app grants {} to the default role {:?}, which no app declares",
                        app.name, grant.pattern, grant.role
                    ));
                }
                if !app.permissions.iter().any(|permission| pattern_matches(grant.pattern, permission.name)) {
                    problems.push(format!(
                        "the {} app grants {:?} to {}, which matches none of its own permissions",
                        app.name, grant.pattern, grant.role
                    ));
                }
            }
        }
    }

    fn check_jobs(&self, problems: &mut Vec<String>) {
        let mut registry = Registry::new();
        for app in &self.apps {
            if let Err(clashes) = registry.absorb((app.jobs)(Registry::new())) {
                problems.push(format!(
                    "the {} app registers jobs another app registers: {}",
                    app.name,
                    clashes.join(", ")
                ));
            }
        }
        let schedules = self.schedules();
        unique(schedules.iter().map(|schedule| schedule.name.to_owned()), "schedule", problems);
        for schedule in &schedules {
            match (schedule.job)() {
                Ok(job) if registry.knows(job.name()) => {}
                Ok(job) => problems.push(format!(
                    "the schedule {} enqueues the job {}, which no app registers",
                    schedule.name,
                    job.name()
                )),
                Err(error) => {
                    problems.push(format!("the schedule {}'s job does not serialize: {error}", schedule.name))
                }
            }
        }
    }

    fn check_events(&self, problems: &mut Vec<String>) {
        let emitted = self.apps.iter().flat_map(|app| app.emits.iter().map(move |event| (*event, app.name)));
        let mut emitters: BTreeMap<&str, &str> = BTreeMap::new();
        for (event, app) in emitted {
            if let Some(first) = emitters.insert(event, app) {
                problems.push(format!("the event {event} is emitted by two apps: {first} and {app}"));
            }
        }
        let bus = self.events();
        for event in bus.events() {
            if !emitters.contains_key(event) {
                problems.push(format!(
                    "{} subscribe(s) to the event {event}, which no app of this build emits",
                    bus.handlers_of(event).join(", ")
                ));
            }
        }
    }
}

/// Names are well-formed and unique; every dependency is composed.
fn check_names(list: &[App], problems: &mut Vec<String>) {
    let valid = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    for app in list {
        if !valid(app.name) {
            problems.push(format!("{:?} is not an app name: use [a-z][a-z0-9_]*", app.name));
        }
        for dependency in app.depends_on.iter().chain(app.uses) {
            if !list.iter().any(|other| other.name == *dependency) {
                problems.push(format!("the {} app depends on {dependency}, which is not composed", app.name));
            }
        }
    }
    unique(list.iter().map(|app| app.name.to_owned()), "app", problems);
}

/// The list in dependency order, stable otherwise; a cycle is reported with its path.
fn order(list: Vec<App>, problems: &mut Vec<String>) -> Vec<App> {
    // A dependency that is not composed is reported by `check_names`; it doesn't hold anyone up here.
    let composed: BTreeSet<&'static str> = list.iter().map(|app| app.name).collect();
    let mut placed: BTreeSet<&'static str> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(list.len());
    let mut waiting = list;
    while let Some(index) = waiting.iter().position(|app| {
        app.depends_on.iter().all(|dependency| placed.contains(dependency) || !composed.contains(dependency))
    }) {
        let app = waiting.remove(index);
        placed.insert(app.name);
        ordered.push(app);
    }
    if !waiting.is_empty() {
        let cycle = find_cycle(&waiting).unwrap_or_else(|| waiting.iter().map(|app| app.name).collect());
        problems.push(format!("the apps depend on each other in a cycle: {}", cycle.join(" → ")));
    }
    ordered
}

/// A dependency cycle among apps that could not be ordered, as `a → b → a`.
fn find_cycle(waiting: &[App]) -> Option<Vec<&'static str>> {
    let by_name: BTreeMap<&str, &App> = waiting.iter().map(|app| (app.name, app)).collect();
    for start in waiting {
        let mut path = vec![start.name];
        let mut current = start;
        while let Some(next) = current.depends_on.iter().find_map(|name| by_name.get(name)) {
            if let Some(at) = path.iter().position(|seen| *seen == next.name) {
                let mut cycle = path[at..].to_vec();
                cycle.push(next.name);
                return Some(cycle);
            }
            path.push(next.name);
            current = next;
        }
    }
    None
}

/// Reports each name that occurs more than once.
fn unique(names: impl Iterator<Item = String>, what: &str, problems: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for name in names {
        if !seen.insert(name.clone()) && reported.insert(name.clone()) {
            problems.push(format!("two apps declare the {what} {name}"));
        }
    }
}
