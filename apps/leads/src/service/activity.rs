//! The timeline: people log notes, calls, meetings and e-mails; services record stage
//! changes, assignments, merges and conversions; what happens to tasks linked to a lead is
//! recorded through [`activity_record_link`].

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, LinkChange, LinkEvent};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::ActivityKind;
use crate::permission::Access;
use crate::service::lead::{add_activity, lead_for};

/// Longest activity text.
pub const MAX_BODY_LEN: usize = 10_000;

/// An activity someone logs.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    /// `note`, `call`, `meeting` or `email`.
    pub kind: ActivityKind,
    /// What happened, 1–10,000 characters.
    pub body: String,
    /// When it happened (default: now); not more than a day ahead.
    pub occurred_at: Option<DateTime<Utc>>,
    /// How long a call or meeting took, in minutes (0–1440).
    pub duration_minutes: Option<u32>,
}

/// Logs an activity on a lead. `access` is `leads.edit`.
///
/// # Errors
/// 404/403 out of reach, 422 for bad fields or a kind only services record.
pub async fn activity_log(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    lead_id: Uuid,
    input: NewActivity,
) -> Result<Uuid, ApiError> {
    lead_for(txn, access, lead_id).await?;
    let mut errors = FieldErrors::new();
    if !input.kind.is_manual() {
        errors.add("kind", "must be note, call, meeting or email");
    }
    let body = crate::service::lead_input::text(&mut errors, "body", Some(input.body), MAX_BODY_LEN, true);
    if body.is_none() && errors.get("body").is_none() {
        errors.add("body", "must not be blank");
    }
    let now = Utc::now();
    let occurred_at = input.occurred_at.unwrap_or(now);
    if occurred_at > now + chrono::Duration::days(1) {
        errors.add("occurred_at", "must not be more than a day ahead");
    }
    if input.duration_minutes.is_some_and(|minutes| minutes > 1440) {
        errors.add("duration_minutes", "must be at most 1440");
    }
    errors.into_result()?;
    let data = input.duration_minutes.map(|minutes| serde_json::json!({ "duration_minutes": minutes }));
    let id = add_activity(
        txn,
        access.organization_id,
        lead_id,
        input.kind,
        access.user_id,
        body.unwrap_or_default(),
        data,
        occurred_at,
    )
    .await?;
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.activity_log", "lead", lead_id).changes(
            Changes::new().set("activity_id", None::<()>, id).set("kind", None::<()>, input.kind.as_str()),
        ),
    )
    .await?;
    Ok(id)
}

/// Records on a lead's timeline what happened to a task linked to it (linked, unlinked,
/// moved to a stage), from the tasks app through `baseops_core::Links`. Records of other
/// kinds linking to a lead are checked but not shown (no timeline kind for them yet).
///
/// # Errors
/// 404 when the lead is not one of the organization's; database errors.
pub async fn activity_record_link(txn: &impl ConnectionTrait, event: &LinkEvent<'_>) -> Result<(), ApiError> {
    let organization_id = event.organization_id;
    let lead_id = event.target_id;
    lead_for(txn, &Access::system(organization_id, None), lead_id).await?;
    if event.source_kind != "task" {
        return Ok(());
    }
    let (change, status) = match event.change {
        LinkChange::Linked => ("linked", None),
        LinkChange::Unlinked => ("unlinked", None),
        LinkChange::Status(status) => ("status", Some(status)),
    };
    let title: String = event.title.chars().take(MAX_BODY_LEN).collect();
    let mut data = serde_json::json!({ "task_id": event.source_id, "change": change });
    if let Some(status) = status {
        data["status"] = serde_json::json!(status);
    }
    let author = event.acting.actor.user_id();
    add_activity(
        txn,
        organization_id,
        lead_id,
        ActivityKind::Task,
        author,
        title,
        Some(data.clone()),
        Utc::now(),
    )
    .await?;
    record(
        txn,
        AuditEntry::new(event.acting, Some(organization_id), "lead.task_activity", "lead", lead_id)
            .changes(Changes::created(&data)),
    )
    .await?;
    Ok(())
}
