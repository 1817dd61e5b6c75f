//! Analytics: events tracked by the console and integrators (`POST /analytics/events`), the
//! leads and tasks apps' domain events recorded as analytics events, daily aggregates
//! rebuilt by the `analytics.aggregate` job (hourly, or `baseops analytics rebuild`), the
//! KPIs endpoint and the console dashboard — both reading the aggregates only — and
//! Prometheus gauges of the business figures. See `docs/analytics.md`.

pub mod aggregate;
mod api;
mod chart;
mod cli;
pub mod console;
mod event;
pub mod gauge;
pub mod metric;
mod migration;
pub mod permission;
pub mod selector;
mod table;
pub mod track;

use baseops_app::App;

pub use aggregate::{AGGREGATE_HOURLY, Aggregate, rebuild};

/// The analytics app: its tables, API, permissions, aggregation job and schedule, the
/// handlers recording leads and tasks events, `baseops analytics` and the dashboard.
pub fn app() -> App {
    App::new("analytics")
        .depends_on(&["users", "jobs", "leads", "tasks"])
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_permissions(permission::PERMISSIONS, permission::DEFAULT_GRANTS)
        .with_jobs(|jobs| jobs.register::<Aggregate>())
        .with_schedules(&[AGGREGATE_HOURLY])
        .with_events(&[], event::subscribe)
        .with_commands(cli::commands)
        .with_console(console::SECTION)
}
