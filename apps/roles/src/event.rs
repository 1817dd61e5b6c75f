//! Events the roles app emits.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A member's roles changed (`role.changed`): notifications and caches listen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleChanged {
    /// The membership whose roles changed.
    pub membership_id: Uuid,
    /// Role ids before.
    pub before: Vec<Uuid>,
    /// Role ids after.
    pub after: Vec<Uuid>,
}

impl baseops_jobs::Event for RoleChanged {
    const NAME: &'static str = "role.changed";
}

/// Every event the roles app emits.
pub const EMITTED: &[&str] = &[<RoleChanged as baseops_jobs::Event>::NAME];
