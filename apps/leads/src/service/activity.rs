//! The timeline: people log notes, calls, meetings and e-mails; services record stage
//! changes, assignments, merges and conversions; tasks linked to a lead are recorded through
//! [`activity_record_task`].

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors};
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

/// Records that a task was linked to a lead, so it appears in the lead's timeline; a lead of
/// another organization is ignored. Meant for a `task.created` handler in the composition
/// root (neither app depends on the other); nothing calls it yet.
///
/// # Errors
/// Database errors.
pub async fn activity_record_task(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    organization_id: Uuid,
    lead_id: Uuid,
    task_id: Uuid,
    title: &str,
) -> Result<Option<Uuid>, ApiError> {
    let access = Access::system(organization_id, None);
    match lead_for(txn, &access, lead_id).await {
        Ok(_) => {}
        Err(ApiError::NotFound) => return Ok(None),
        Err(error) => return Err(error),
    }
    let title: String = title.chars().take(500).collect();
    let data = serde_json::json!({ "task_id": task_id });
    let id =
        add_activity(txn, organization_id, lead_id, ActivityKind::Task, None, title, Some(data), Utc::now())
            .await?;
    record(
        txn,
        AuditEntry::new(acting, Some(organization_id), "lead.task_link", "lead", lead_id)
            .changes(Changes::new().set("task_id", None::<()>, task_id)),
    )
    .await?;
    Ok(Some(id))
}
