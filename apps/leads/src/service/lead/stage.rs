//! Moving a lead between stages: the time it spent in the stage it leaves goes on its
//! timeline and into the `lead.stage_changed` event; won and lost are final unless the
//! caller may reopen.

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::Expr;
use uuid::Uuid;

use super::{check_version, lead_for, write};
use crate::event::LeadStageChanged;
use crate::model::{ActivityKind, StageKind, lead};
use crate::permission::Access;
use crate::service::activity::add_activity;
use crate::service::lead_input::text;
use crate::service::pipeline::find_stage;

/// Longest lost reason.
pub const MAX_LOST_REASON_LEN: usize = 500;

/// A move to another stage, as the API takes it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageMove {
    /// The stage to move to (any pipeline of the organization).
    pub stage_id: Uuid,
    /// Why it was lost: required when moving to a `lost` stage, up to 500 characters.
    pub lost_reason: Option<String>,
}

/// A checked [`StageMove`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTarget {
    /// The stage to move to.
    pub stage_id: Uuid,
    /// The lost reason, trimmed; `None` when blank. Kept only when the stage is `lost`.
    pub lost_reason: Option<String>,
}

impl StageMove {
    /// Checks the lost reason's text; whether one is needed depends on the stage, which
    /// the service reads.
    ///
    /// # Errors
    /// `lost_reason` too long or with control characters.
    pub fn check(self) -> Result<StageTarget, FieldErrors> {
        let mut errors = FieldErrors::new();
        let lost_reason = text(&mut errors, "lost_reason", self.lost_reason, MAX_LOST_REASON_LEN, true);
        if errors.is_empty() { Ok(StageTarget { stage_id: self.stage_id, lost_reason }) } else { Err(errors) }
    }
}

/// Moves a lead to another stage, recording the time it spent in the one it leaves; `false`
/// when it is already there. Won
/// and lost are final: leaving them needs `reopen` (the caller's `leads.reopen` access,
/// reaching this lead). `access` is `leads.edit`.
///
/// `target_stage` was checked at the edge ([`StageMove::check`]).
///
/// # Errors
/// 404/403 out of reach, 412 stale version, 422 unknown stage or missing lost reason,
/// 403 `reopen_not_allowed`.
pub async fn lead_move_stage(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    id: Uuid,
    expected: Option<i32>,
    target_stage: StageTarget,
    reopen: Option<&Access>,
) -> Result<bool, ApiError> {
    let found = lead_for(txn, access, id).await?;
    check_version(&found, expected)?;
    let target = find_stage(txn, access.organization_id, target_stage.stage_id)
        .await?
        .ok_or_else(|| ApiError::invalid("stage_id", "is not a stage of this organization"))?;
    if target.id == found.stage_id {
        return Ok(false);
    }
    let from_kind = StageKind::parse(&found.status).unwrap_or(StageKind::Open);
    let to_kind = StageKind::parse(&target.kind).unwrap_or(StageKind::Open);
    if from_kind.is_final() && !reopen.is_some_and(|reopen| reopen.reaches(found.owner_id)) {
        return Err(ApiError::Refused {
            code: "reopen_not_allowed",
            detail: format!("The lead is {}; reopening it needs leads.reopen.", from_kind.as_str()),
        });
    }
    if to_kind == StageKind::Lost && target_stage.lost_reason.is_none() {
        return Err(ApiError::invalid("lost_reason", "is required when a lead is lost"));
    }
    let lost_reason = if to_kind == StageKind::Lost { target_stage.lost_reason } else { None };
    let now = Utc::now();
    let in_stage = Ord::max((now - found.stage_entered_at).num_seconds(), 0);
    write(
        txn,
        &found,
        vec![
            (lead::Column::StageId, Expr::val(target.id)),
            (lead::Column::PipelineId, Expr::val(target.pipeline_id)),
            (lead::Column::Status, Expr::val(to_kind.as_str())),
            (lead::Column::LostReason, Expr::val(lost_reason.clone())),
            (lead::Column::StageEnteredAt, Expr::val(now)),
        ],
        now,
    )
    .await?;
    let data = serde_json::json!({
        "from_stage_id": found.stage_id,
        "to_stage_id": target.id,
        "to_stage": target.name,
        "status": to_kind.as_str(),
        "time_in_stage_secs": in_stage,
        "lost_reason": lost_reason,
    });
    add_activity(
        txn,
        access.organization_id,
        id,
        ActivityKind::StageChange,
        access.user_id,
        String::new(),
        Some(data),
        now,
    )
    .await?;
    let changed = LeadStageChanged {
        lead_id: id,
        from_stage_id: found.stage_id,
        to_stage_id: target.id,
        status: to_kind.as_str().to_owned(),
        time_in_stage_secs: in_stage,
    };
    baseops_jobs::emit(txn, acting, Some(access.organization_id), &changed).await?;
    let changes = Changes::new()
        .set("stage_id", found.stage_id, target.id)
        .set("status", &found.status, to_kind.as_str())
        .set("lost_reason", &found.lost_reason, &lost_reason)
        .set("time_in_stage_secs", None::<()>, in_stage);
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.stage_change", "lead", id)
            .changes(changes),
    )
    .await?;
    Ok(true)
}
