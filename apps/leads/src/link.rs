//! Leads as a record kind other apps link to (`related_type = "lead"` on a task): a new link
//! to a lead of another organization is refused, and what happens to linked tasks shows on
//! the lead's timeline. Installed by the composition root in `baseops_core::Links`.

use async_trait::async_trait;
use baseops_core::{ApiError, LinkEvent, LinkTarget};
use sea_orm::DatabaseTransaction;

use crate::service::activity::activity_record_link;

/// The kind leads are linked by.
pub const KIND: &str = "lead";

/// The leads app as a link target.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeadLinks;

#[async_trait]
impl LinkTarget for LeadLinks {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn record(&self, txn: &DatabaseTransaction, event: &LinkEvent<'_>) -> Result<(), ApiError> {
        activity_record_link(txn, event).await
    }
}
