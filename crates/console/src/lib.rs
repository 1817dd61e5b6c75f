//! The admin console's kit, at `/admin`: server-rendered pages from minijinja templates an
//! integrator overrides file by file, hashed immutable assets (vendored htmx, our CSS and
//! script), the frame (navigation by app, organization switcher, theme, command palette),
//! the sign-in guard and CSRF on forms.
//!
//! An app brings its pages in its `App` value ([`baseops_app::ConsoleSection`]): routes,
//! templates, navigation entries and a search for the command palette. Its handlers take
//! [`Signed`], call the same services and selectors as its API, and answer
//! [`Console::page`].

mod assets;
mod error;
pub mod form;
mod guard;
mod home;
pub mod list;
mod templates;

pub mod signed;

use std::sync::Arc;

use axum::Router;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use baseops_app::{Apps, ConsolePage, ConsoleSearch, ConsoleWork, WorkCard};
use baseops_config::Settings;
use baseops_core::AppState;
use http::StatusCode;
use minijinja::Environment;
use minijinja::value::Serde;
use serde::Serialize;

pub use assets::url as asset_url;
pub use error::{ConsoleError, is_local_page, sign_in_url};
pub use guard::{CSRF_FIELD, ORGANIZATION_COOKIE};
pub use minijinja::{Value, context};
pub use signed::Signed;

/// The composed console: templates of the kit and every app, navigation, searches.
pub struct Console {
    env: Environment<'static>,
    /// Every app's pages, with the app's name, in the composition's order.
    pages: Vec<(&'static str, ConsolePage)>,
    searches: Vec<ConsoleSearch>,
    works: Vec<ConsoleWork>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").field("pages", &self.pages).finish_non_exhaustive()
    }
}

/// Who may record usage events, and where the console's script sends them.
const TRACK_PERMISSION: &str = "analytics.track";
const TRACK_URL: &str = "/api/v1/analytics/events";

/// The page shown as the bell in the top bar instead of in the navigation.
pub const BELL_PAGE: &str = "notifications";

/// A breadcrumb: a title and, except for the current page, a link.
#[derive(Debug, Clone, Serialize)]
pub struct Crumb {
    /// What it says.
    pub title: String,
    /// Where it leads; `None` for the current page.
    pub url: Option<String>,
}

impl Crumb {
    /// A crumb leading to `url`.
    pub fn link(title: impl Into<String>, url: impl Into<String>) -> Self {
        Self { title: title.into(), url: Some(url.into()) }
    }

    /// The current page.
    pub fn here(title: impl Into<String>) -> Self {
        Self { title: title.into(), url: None }
    }
}

#[derive(Serialize)]
struct NavEntry<'a> {
    app: &'static str,
    title: &'a str,
    url: String,
    current: bool,
}

/// The frame's navigation: one entry per app in the top bar (its first page the person may
/// use), and the current app's pages as tabs when it has several.
#[derive(Serialize)]
struct Navigation<'a> {
    apps: Vec<NavEntry<'a>>,
    tabs: Vec<NavEntry<'a>>,
    all: Vec<NavEntry<'a>>,
}

impl Console {
    /// The console of the composed `apps`, with the overrides of `console.templates_dir`.
    pub fn new(settings: &Settings, apps: &Apps) -> Self {
        let templates = apps.iter().flat_map(|app| app.console.templates.iter().copied()).collect();
        Self {
            env: templates::environment(settings.console.templates_dir.as_deref(), templates),
            pages: apps
                .iter()
                .flat_map(|app| app.console.pages.iter().map(|page| (app.name, *page)))
                .collect(),
            searches: apps.iter().filter_map(|app| app.console.search).collect(),
            works: apps.iter().filter_map(|app| app.console.work).collect(),
        }
    }

    /// The entries `signed` may use; the current one is the entry whose path is the longest
    /// prefix of the page's (the board under `leads/board`, not `leads`).
    fn entries<'a>(&'a self, signed: &Signed) -> Vec<NavEntry<'a>> {
        let mut entries: Vec<NavEntry<'a>> = self
            .pages
            .iter()
            .filter(|(_, page)| page.path != BELL_PAGE)
            .filter(|(_, page)| match page.permission {
                None => true,
                Some(ConsolePage::SUPERUSERS) => signed.viewer.is_superuser,
                Some(permission) => signed.can(permission),
            })
            .map(|(app, page)| NavEntry {
                app,
                title: page.title,
                url: format!("/admin/{}", page.path),
                current: false,
            })
            .collect();
        let within = |url: &str| signed.path == url || signed.path.starts_with(&format!("{url}/"));
        if let Some(current) =
            entries.iter_mut().filter(|entry| within(&entry.url)).max_by_key(|entry| entry.url.len())
        {
            current.current = true;
        }
        entries
    }

    fn navigation<'a>(&'a self, signed: &Signed) -> Navigation<'a> {
        let all = self.entries(signed);
        let current_app = all.iter().find(|entry| entry.current).map(|entry| entry.app);
        let mut apps: Vec<NavEntry<'a>> = Vec::new();
        for entry in &all {
            match apps.iter_mut().find(|seen| seen.app == entry.app) {
                Some(seen) => seen.current |= entry.current,
                None => apps.push(NavEntry {
                    app: entry.app,
                    title: entry.title,
                    url: entry.url.clone(),
                    current: entry.current,
                }),
            }
        }
        // Composition puts the apps others build on first (users, audit); people look for the
        // apps built on them (the dashboard, leads, tasks) first.
        apps.reverse();
        let tabs: Vec<NavEntry<'a>> = all
            .iter()
            .filter(|entry| Some(entry.app) == current_app)
            .map(|entry| NavEntry {
                app: entry.app,
                title: entry.title,
                url: entry.url.clone(),
                current: entry.current,
            })
            .collect();
        let tabs = if tabs.len() > 1 { tabs } else { Vec::new() };
        Navigation { apps, tabs, all }
    }

    /// Renders `template` inside the frame, for `signed`, with `context` and the breadcrumbs
    /// (the last one is the page's title).
    pub fn page(
        &self,
        signed: &Signed,
        template: &str,
        crumbs: Vec<Crumb>,
        context: impl Serialize,
    ) -> Response {
        let title = crumbs.last().map(|crumb| crumb.title.clone()).unwrap_or_default();
        let navigation = self.navigation(signed);
        let palette: Vec<_> = navigation
            .all
            .iter()
            .map(|entry| context! { title => entry.title, url => entry.url.as_str() })
            .collect();
        let bell = self.pages.iter().any(|(_, page)| page.path == BELL_PAGE);
        let frame = context! {
            bell => bell,
            viewer => Value::from(Serde(&signed.viewer)),
            csrf_token => signed.viewer.csrf_token.as_str(),
            // The analytics service's permission, by name: the kit sits below every app.
            track => signed.can(TRACK_PERMISSION).then_some(TRACK_URL),
            nav => Value::from(Serde(&navigation.apps)),
            tabs => Value::from(Serde(&navigation.tabs)),
            pages => Value::from(Serde(&navigation.all)),
            palette_pages => palette,
            crumbs => Value::from(Serde(&crumbs)),
            title => title,
            path => signed.path.as_str(),
        };
        self.render(template, context! { ..frame, ..Value::from(Serde(&context)) }, StatusCode::OK)
    }

    /// Renders a template outside the frame (the sign-in pages) with `status`.
    pub fn bare(&self, template: &str, context: impl Serialize, status: StatusCode) -> Response {
        self.render(template, Value::from(Serde(&context)), status)
    }

    fn render(&self, template: &str, context: Value, status: StatusCode) -> Response {
        match self.env.get_template(template).and_then(|found| found.render(context)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => {
                tracing::error!(template, error = %error, detail = ?error, "console template does not render");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html("<!doctype html><title>Error</title><p>This page could not be shown.</p>"),
                )
                    .into_response()
            }
        }
    }

    /// The records the palette finds for `query`, from every app, within the caller's reach.
    async fn search(&self, state: &AppState, signed: &Signed, query: &str) -> Vec<baseops_app::SearchHit> {
        let per_app = 8;
        let searches = self
            .searches
            .iter()
            .map(|search| search(state.clone(), signed.ctx.clone(), query.to_owned(), per_app));
        let mut hits = Vec::new();
        for found in futures_util::future::join_all(searches).await {
            match found {
                Ok(found) => hits.extend(found),
                Err(error) => tracing::warn!(error = %error, "a console search failed"),
            }
        }
        hits
    }
}

impl Console {
    /// The signed-in person's own work in every app, in the composition's order. An app whose
    /// card fails is left out and logged: the rest of the page still serves.
    pub async fn work(&self, state: &AppState, signed: &Signed) -> Vec<WorkCard> {
        let works = self.works.iter().map(|work| work(state.clone(), signed.ctx.clone()));
        let mut cards = Vec::new();
        for found in futures_util::future::join_all(works).await {
            match found {
                Ok(card) => cards.extend(card),
                Err(error) => tracing::warn!(error = %error, "a console work card failed"),
            }
        }
        cards
    }
}

/// Any serializable value as a template value (`context! { lead => value(&lead) }`).
pub fn value(data: &impl Serialize) -> Value {
    Value::from(Serde(data))
}

/// The composed console as handlers take it: `Extension(console): ConsoleRef` (pages behind
/// sign-in reach it through [`Signed::page`]).
pub type ConsoleRef = axum::Extension<Arc<Console>>;

/// The `/admin` routes of the kit and every app, with the guard, the error pages and the
/// composed console in every request's extensions.
pub fn router(settings: &Settings, apps: &Apps) -> Router<AppState> {
    let console = Arc::new(Console::new(settings, apps));
    let mut routes = Router::new()
        .route("/admin", get(home::home))
        .route("/admin/", get(home::home))
        .route("/admin/search", get(home::search))
        .route("/admin/work", get(home::work))
        .route("/admin/columns", axum::routing::post(list::choose))
        .route("/admin/assets/{file}", get(assets::serve));
    for app in apps.iter() {
        routes = routes.merge((app.console.routes)());
    }
    routes
        // Unknown console paths get the console's page, not the API's problem document.
        .route("/admin/{*rest}", axum::routing::any(home::not_found))
        .layer(axum::middleware::from_fn_with_state(console.clone(), error_pages))
        .layer(axum::middleware::from_fn(guard::guard))
        .layer(axum::Extension(console))
}

/// Renders the [`error::ErrorPage`] a handler's [`ConsoleError`] left in its response, and
/// turns axum's own refusals (a malformed path or query, a wrong method) into pages too.
async fn error_pages(
    axum::extract::State(console): axum::extract::State<Arc<Console>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let status = response.status();
    let page = match response.extensions_mut().remove::<error::ErrorPage>() {
        Some(page) => page,
        None if status.is_client_error() || status.is_server_error() => {
            let html = response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
            if html {
                return response;
            }
            let body = std::mem::take(response.body_mut());
            let text = axum::body::to_bytes(body, 2048).await.unwrap_or_default();
            let detail = String::from_utf8_lossy(&text).chars().take(300).collect::<String>();
            error::ErrorPage {
                status,
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                detail: if detail.trim().is_empty() {
                    "The request could not be handled.".to_owned()
                } else {
                    detail
                },
            }
        }
        None => return response,
    };
    let mut rendered = console.bare(
        "error.html",
        context! { status => page.status.as_u16(), title => page.title, detail => page.detail },
        page.status,
    );
    for name in [http::header::RETRY_AFTER, http::header::SET_COOKIE, http::header::ALLOW] {
        if let Some(value) = response.headers().get(&name) {
            rendered.headers_mut().insert(name, value.clone());
        }
    }
    rendered
}
