//! The timeline: people log notes, calls, meetings and e-mails; services record stage
//! changes, assignments, merges and conversions (`add_activity`); what happens to tasks
//! linked to a lead is recorded through [`activity_record_link`].

use baseops_audit::{AuditEntry, Changes, record};
use baseops_core::{Acting, ApiError, FieldErrors, LinkChange, LinkEvent};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{ActivityKind, activity};
use crate::permission::Access;
use crate::service::lead::lead_for;
use crate::service::lead_input::text;

/// Longest activity text.
pub const MAX_BODY_LEN: usize = 10_000;
/// Longest call or meeting, in minutes (a day).
pub const MAX_DURATION_MINUTES: u32 = 1440;

/// An activity someone logs.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    /// `note`, `call`, `meeting` or `email` (the other kinds are recorded by baseops itself).
    #[schema(value_type = String, pattern = "^(note|call|meeting|email)$")]
    pub kind: ActivityKind,
    /// What happened, 1–10,000 characters.
    pub body: String,
    /// When it happened (default: now); not more than a day ahead.
    pub occurred_at: Option<DateTime<Utc>>,
    /// How long a call or meeting took, in minutes (0–1440).
    pub duration_minutes: Option<u32>,
}

/// A checked [`NewActivity`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEntry {
    /// `note`, `call`, `meeting` or `email`.
    pub kind: ActivityKind,
    /// What happened, trimmed.
    pub body: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// How long it took, in minutes.
    pub duration_minutes: Option<u32>,
}

impl NewActivity {
    /// Checks an activity someone logs `now`.
    ///
    /// # Errors
    /// Every problem, by field: a kind only services record, a blank or too long body, a
    /// time more than a day ahead, a duration over a day.
    pub fn check(self, now: DateTime<Utc>) -> Result<ActivityEntry, FieldErrors> {
        let mut errors = FieldErrors::new();
        if !self.kind.is_manual() {
            errors.add("kind", "must be note, call, meeting or email");
        }
        let body = text(&mut errors, "body", Some(self.body), MAX_BODY_LEN, true);
        if body.is_none() && errors.get("body").is_none() {
            errors.add("body", "must not be blank");
        }
        let occurred_at = self.occurred_at.unwrap_or(now);
        if occurred_at > now + chrono::Duration::days(1) {
            errors.add("occurred_at", "must not be more than a day ahead");
        }
        if self.duration_minutes.is_some_and(|minutes| minutes > MAX_DURATION_MINUTES) {
            errors.add("duration_minutes", format!("must be at most {MAX_DURATION_MINUTES}"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ActivityEntry {
            kind: self.kind,
            body: body.unwrap_or_default(),
            occurred_at,
            duration_minutes: self.duration_minutes,
        })
    }
}

/// Logs an activity on a lead. `access` is `leads.edit`; `entry` was checked at the edge
/// ([`NewActivity::check`]).
///
/// # Errors
/// 404/403 out of reach.
pub async fn activity_log(
    txn: &impl ConnectionTrait,
    acting: Acting<'_>,
    access: &Access,
    lead_id: Uuid,
    entry: ActivityEntry,
) -> Result<Uuid, ApiError> {
    lead_for(txn, access, lead_id).await?;
    let data = entry.duration_minutes.map(|minutes| serde_json::json!({ "duration_minutes": minutes }));
    let id = add_activity(
        txn,
        access.organization_id,
        lead_id,
        entry.kind,
        access.user_id,
        entry.body,
        data,
        entry.occurred_at,
    )
    .await?;
    record(
        txn,
        AuditEntry::new(acting, Some(access.organization_id), "lead.activity_log", "lead", lead_id).changes(
            Changes::new().set("activity_id", None::<()>, id).set("kind", None::<()>, entry.kind.as_str()),
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

/// Records an activity on a lead (the services' own entries and people's).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn add_activity(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    lead_id: Uuid,
    kind: ActivityKind,
    author_id: Option<Uuid>,
    body: String,
    data: Option<serde_json::Value>,
    occurred_at: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    activity::Entity::insert(activity::ActiveModel {
        id: Set(id),
        organization_id: Set(organization_id),
        lead_id: Set(lead_id),
        kind: Set(kind.as_str().to_owned()),
        author_id: Set(author_id),
        body: Set(body),
        data: Set(data.map(|data| data.to_string())),
        occurred_at: Set(occurred_at),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(id)
}
