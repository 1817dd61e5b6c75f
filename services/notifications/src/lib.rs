//! In-app notifications: stored per user and created by event handlers through [`send`],
//! delivered on the channels each user chose per kind — in-app (listed, and pushed live over
//! Server-Sent Events across processes), e-mail at once, or a daily digest e-mail.
//!
//! Apps do not write notifications themselves: an app's event handler (its `event.rs`) maps
//! a domain event to recipients and calls [`send`], which is idempotent per (user, kind,
//! event). See `services/notifications/README.md`.

mod api;
pub mod job;
pub mod live;
mod migration;
// Entity fields mirror the columns created in `migration.rs`.
#[allow(missing_docs)]
pub mod model;
pub mod selector;
pub mod service;

use baseops_core::App;

pub use job::{DIGEST_DAILY, SendDigests};
pub use live::Hub;
pub use selector::{Channels, NotificationOut};
pub use service::{NewNotification, send};

/// The notifications app: its tables and the `/notifications` API. Its migrations run after
/// the users app's.
pub fn app() -> App {
    App::new("notifications").with_api(api::routes).with_migrations(migration::migrations)
}
