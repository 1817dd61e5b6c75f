//! Changing many leads at once, all or none: each lead goes through the same service as
//! its one-lead endpoint (reach, events, timeline, audit), in the caller's transaction, so
//! the first refusal rolls back every change before it.

use baseops_core::{Acting, ApiError, Directory, FieldErrors};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{StageMove, StageTarget, lead_assign, lead_delete, lead_move_stage};
use crate::permission::Access;
use crate::service::directory::is_member;

/// Most leads one bulk request changes.
pub const MAX_BULK: usize = 200;

/// Leads to give one owner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LeadBulkAssignInput)]
pub struct BulkAssignInput {
    /// 1–200 lead ids.
    #[schema(min_items = 1, max_items = 200)]
    pub ids: Vec<Uuid>,
    /// The new owner (a member); `null` leaves the leads unassigned.
    pub owner_id: Option<Uuid>,
}

/// Leads to move to one stage.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LeadBulkStageInput)]
pub struct BulkStageInput {
    /// 1–200 lead ids.
    #[schema(min_items = 1, max_items = 200)]
    pub ids: Vec<Uuid>,
    /// The stage to move them to (any pipeline of the organization).
    pub stage_id: Uuid,
    /// Why they were lost: required when the stage is `lost`, up to 500 characters.
    pub lost_reason: Option<String>,
}

/// Leads to delete.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LeadBulkDeleteInput)]
pub struct BulkDeleteInput {
    /// 1–200 lead ids.
    #[schema(min_items = 1, max_items = 200)]
    pub ids: Vec<Uuid>,
}

/// What a bulk change did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LeadBulkResult)]
pub struct BulkResult {
    /// The leads it changed, sorted; those already as asked are left out.
    pub changed: Vec<Uuid>,
}

/// Checked lead ids: 1 to [`MAX_BULK`], sorted, distinct.
///
/// # Errors
/// `ids` naming none or too many.
pub fn checked_ids(ids: Vec<Uuid>) -> Result<Vec<Uuid>, FieldErrors> {
    baseops_core::bulk::ids(ids, MAX_BULK, "leads")
}

impl BulkStageInput {
    /// Checks the ids and the lost reason's text.
    ///
    /// # Errors
    /// `ids` or `lost_reason`, every problem at once.
    pub fn check(self) -> Result<(Vec<Uuid>, StageTarget), FieldErrors> {
        let ids = checked_ids(self.ids);
        let target = StageMove { stage_id: self.stage_id, lost_reason: self.lost_reason }.check();
        match (ids, target) {
            (Ok(ids), Ok(target)) => Ok((ids, target)),
            (ids, target) => {
                let mut errors = FieldErrors::new();
                for found in [ids.err(), target.err()].into_iter().flatten() {
                    errors.merge(found);
                }
                Err(errors)
            }
        }
    }
}

/// A refusal of one lead of a bulk change, said so that the caller knows which: a lead out
/// of sight is a 422 on `ids`, not a 404 of the whole request.
fn naming(id: Uuid) -> impl Fn(ApiError) -> ApiError {
    move |error| match error {
        ApiError::NotFound => ApiError::invalid("ids", format!("lead {id} is not one you can see")),
        ApiError::PreconditionFailed => ApiError::invalid("ids", format!("lead {id} changed meanwhile")),
        other => other,
    }
}

/// Gives every lead in `ids` (checked with [`checked_ids`]) the owner `owner_id`, all or
/// none. `access` is `leads.assign`.
///
/// # Errors
/// 422 for an owner who is not a member or a lead out of sight, 403 for one out of reach.
pub async fn leads_assign(
    txn: &impl ConnectionTrait,
    directory: &dyn Directory,
    acting: Acting<'_>,
    access: &Access,
    ids: &[Uuid],
    owner_id: Option<Uuid>,
) -> Result<BulkResult, ApiError> {
    if let Some(owner) = owner_id
        && !is_member(txn, directory, access.organization_id, owner).await?
    {
        return Err(ApiError::invalid("owner_id", "is not a member of this organization"));
    }
    let mut changed = Vec::new();
    for &id in ids {
        if lead_assign(txn, directory, acting, access, id, None, owner_id).await.map_err(naming(id))? {
            changed.push(id);
        }
    }
    Ok(BulkResult { changed })
}

/// Moves every lead in `ids` to one stage, all or none. `access` is `leads.edit`; leaving
/// won or lost needs `reopen`.
///
/// # Errors
/// 422 unknown stage, lost without a reason or a lead out of sight; 403 out of reach or
/// `reopen_not_allowed`.
pub async fn leads_move_stage(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    ids: &[Uuid],
    target: &StageTarget,
    reopen: Option<&Access>,
) -> Result<BulkResult, ApiError> {
    let mut changed = Vec::new();
    for &id in ids {
        if lead_move_stage(txn, acting, access, id, None, target.clone(), reopen).await.map_err(naming(id))? {
            changed.push(id);
        }
    }
    Ok(BulkResult { changed })
}

/// Deletes every lead in `ids`, all or none. `access` is `leads.delete`.
///
/// # Errors
/// 422 for a lead out of sight, 403 for one out of reach.
pub async fn leads_delete(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    ids: &[Uuid],
) -> Result<BulkResult, ApiError> {
    for &id in ids {
        lead_delete(txn, acting, access, id, None).await.map_err(naming(id))?;
    }
    Ok(BulkResult { changed: ids.to_vec() })
}
