//! What clients send to create and change tasks, and the checks every field gets.

use baseops_core::FieldErrors;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Priority;
use crate::recurrence::RecurrenceRule;

/// Longest title.
pub const MAX_TITLE_LEN: usize = 200;
/// Longest description (Markdown source).
pub const MAX_DESCRIPTION_LEN: usize = 20_000;
/// Most assignees per task.
pub const MAX_ASSIGNEES: usize = 20;
/// Most watchers per task.
pub const MAX_WATCHERS: usize = 50;
/// Most labels per task.
pub const MAX_LABELS: usize = 20;
/// Longest label.
pub const MAX_LABEL_LEN: usize = 50;
/// Largest estimate, in minutes (a thousand hours and more).
pub const MAX_ESTIMATE_MINUTES: i32 = 100_000;
/// Longest `related_type`.
pub const MAX_RELATED_TYPE_LEN: usize = 32;

/// A new task.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// 1–200 characters.
    pub title: String,
    /// Markdown, up to 20,000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Default `normal`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Members of the organization (at most 20); others than yourself need `tasks.assign`.
    #[serde(default)]
    pub assignees: Option<Vec<Uuid>>,
    /// Members of the organization (at most 50).
    #[serde(default)]
    pub watchers: Option<Vec<Uuid>>,
    /// At most 20 labels of 1–50 characters; stored lowercase.
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    /// When it is due.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// Estimated effort in minutes, 0–100,000.
    #[serde(default)]
    pub estimate_minutes: Option<i32>,
    /// Makes it a sub-task of a task that is not itself a sub-task.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// The kind of record of another app it is about (`lead`), with `related_id`.
    #[serde(default)]
    pub related_type: Option<String>,
    /// That record's id, with `related_type`.
    #[serde(default)]
    pub related_id: Option<Uuid>,
    /// Makes it the first occurrence of a recurring series; needs `due_at`.
    #[serde(default)]
    pub recurrence: Option<RecurrenceRule>,
}

/// Changes to a task; absent fields stay as they are, `null` clears a field that may be empty.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskChanges {
    /// 1–200 characters.
    pub title: Option<String>,
    /// Markdown, up to 20,000 characters (empty clears it).
    pub description: Option<String>,
    /// A stage the workflow allows from the current one (else 409 `invalid_transition`).
    pub status: Option<String>,
    /// New priority.
    pub priority: Option<Priority>,
    /// The complete set of assignees.
    pub assignees: Option<Vec<Uuid>>,
    /// The complete set of watchers.
    pub watchers: Option<Vec<Uuid>>,
    /// The complete set of labels.
    pub labels: Option<Vec<String>>,
    /// New due time; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>, nullable)]
    pub due_at: Option<Option<DateTime<Utc>>>,
    /// New estimate; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, nullable)]
    pub estimate_minutes: Option<Option<i32>>,
    /// New parent; `null` makes it a top-level task.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub parent_id: Option<Option<Uuid>>,
    /// New related record type (with `related_id`); `null` clears the link.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub related_type: Option<Option<String>>,
    /// New related record id (with `related_type`); `null` clears the link.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub related_id: Option<Option<Uuid>>,
    /// Starts or changes the task's recurrence; `null` stops the series.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<RecurrenceRule>, nullable)]
    pub recurrence: Option<Option<RecurrenceRule>>,
}

/// Keeps an explicit `null` apart from an absent field: absent is `None`, `null` is `Some(None)`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

pub(crate) fn check_title(title: &str, errors: &mut FieldErrors) -> String {
    let trimmed = title.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > MAX_TITLE_LEN || trimmed.chars().any(char::is_control) {
        errors.add("title", format!("must be 1 to {MAX_TITLE_LEN} characters, without control characters"));
    }
    trimmed.to_owned()
}

pub(crate) fn check_description(description: &str, errors: &mut FieldErrors) {
    if description.chars().count() > MAX_DESCRIPTION_LEN {
        errors.add("description", format!("must be at most {MAX_DESCRIPTION_LEN} characters"));
    }
}

/// Sorted, without duplicates.
pub(crate) fn check_users(field: &str, users: &[Uuid], max: usize, errors: &mut FieldErrors) -> Vec<Uuid> {
    if users.len() > max {
        errors.add(field, format!("must name at most {max} users"));
    }
    let mut users = users.to_vec();
    users.sort_unstable();
    users.dedup();
    users
}

/// Lowercase, trimmed, sorted, without duplicates.
pub(crate) fn check_labels(labels: &[String], errors: &mut FieldErrors) -> Vec<String> {
    if labels.len() > MAX_LABELS {
        errors.add("labels", format!("must be at most {MAX_LABELS}"));
    }
    let mut clean = Vec::with_capacity(labels.len());
    for (index, label) in labels.iter().enumerate() {
        let label = label.trim().to_lowercase();
        let length = label.chars().count();
        if length == 0 || length > MAX_LABEL_LEN || label.chars().any(|c| c.is_control() || c == ',') {
            errors.add(
                format!("labels[{index}]"),
                format!("must be 1 to {MAX_LABEL_LEN} characters, without commas or control characters"),
            );
        }
        clean.push(label);
    }
    clean.sort();
    clean.dedup();
    clean
}

pub(crate) fn check_estimate(estimate: Option<i32>, errors: &mut FieldErrors) {
    if estimate.is_some_and(|minutes| !(0..=MAX_ESTIMATE_MINUTES).contains(&minutes)) {
        errors.add("estimate_minutes", format!("must be 0 to {MAX_ESTIMATE_MINUTES}"));
    }
}

pub(crate) fn check_related(related_type: Option<&str>, related_id: Option<Uuid>, errors: &mut FieldErrors) {
    match (related_type, related_id) {
        (None, None) => {}
        (Some(kind), Some(_)) => {
            let valid = !kind.is_empty()
                && kind.len() <= MAX_RELATED_TYPE_LEN
                && kind.starts_with(|c: char| c.is_ascii_lowercase())
                && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                errors.add(
                    "related_type",
                    "must be [a-z][a-z0-9_]*, at most 32 characters (`lead`, `invoice`)",
                );
            }
        }
        _ => {
            errors.add("related_id", "related_type and related_id go together");
        }
    }
}

pub(crate) fn check_recurrence(rule: &RecurrenceRule, has_due: bool, errors: &mut FieldErrors) {
    for (field, message) in rule.problems() {
        errors.add(field, message);
    }
    if !has_due {
        errors.add("recurrence", "a recurring task needs due_at");
    }
}
