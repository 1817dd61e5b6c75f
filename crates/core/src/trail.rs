//! What the audit trail can tell other parts of the platform: whether a request changed
//! anything. Every write records its audit event inside the write's own transaction, so an
//! event carrying a request's id proves that the request's change committed, and its absence
//! that nothing of it did. The audit app installs its [`Trail`] in the application state; a
//! build without it has none, and callers then assume the worst.

use std::sync::Arc;

use async_trait::async_trait;
use baseops_db::sea_orm::prelude::DateTimeUtc;
use baseops_db::sea_orm::{DatabaseExecutor, DbErr};
use uuid::Uuid;

use crate::AppState;

/// Read access to the audit trail, for the platform.
#[async_trait]
pub trait Trail: Send + Sync + 'static {
    /// Whether the request `request_id`, acting in `organization_id` (`None`: no
    /// organization), recorded an event at or after `since`.
    async fn recorded_request(
        &self,
        db: DatabaseExecutor<'_>,
        organization_id: Option<Uuid>,
        request_id: &str,
        since: DateTimeUtc,
    ) -> Result<bool, DbErr>;
}

/// The trail the audit app installed, if the build has one.
pub fn trail(state: &AppState) -> Option<Arc<dyn Trail>> {
    state.extension::<Arc<dyn Trail>>().cloned()
}
