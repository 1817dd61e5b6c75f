//! In-app notifications: stored per user and created by event handlers through [`send`],
//! delivered on the channels each user chose per kind — in-app (listed, and pushed live over
//! Server-Sent Events across processes), e-mail at once, or a daily digest e-mail.
//!
//! Apps do not write notifications themselves: an app's event handler (its `event.rs`) maps
//! a domain event to recipients and calls [`send`], which is idempotent per (user, kind,
//! event). See `services/notifications/README.md`.

mod api;
pub mod console;
pub mod job;
pub mod live;
mod migration;
// Entity fields mirror the columns created in `migration.rs`.
#[allow(missing_docs)]
pub mod model;
pub mod selector;
pub mod service;

use baseops_app::{App, Background, RunsIn};

pub use job::{DIGEST_DAILY, SendDigests};
pub use live::Hub;
pub use selector::{Channels, NotificationOut};
pub use service::{NewNotification, send};

/// The notifications app: its tables, the `/notifications` API, the daily digest, and the
/// live [`Hub`] (its listener runs in every `serve` process).
pub fn app() -> App {
    App::new("notifications")
        .depends_on(&["users", "jobs", "email"])
        .with_api(api::routes)
        .with_migrations(migration::migrations)
        .with_console(console::SECTION)
        .with_jobs(|jobs| jobs.register::<SendDigests>())
        .with_schedules(&[DIGEST_DAILY])
        .with_services(|state| {
            let hub = Hub::from_settings(state.settings(), state.db().write().connection().clone())?;
            Ok(state.with_extension(hub))
        })
        .with_background(&[Background {
            name: "notifications.live",
            runs_in: RunsIn::Server,
            run: |state, stop| Box::pin(live::run(state, stop)),
        }])
}
