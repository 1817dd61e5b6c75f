//! The checks of a task's fields, one function per field, shared by the bodies that carry them
//! ([`NewTask`](super::NewTask), [`TaskChanges`](super::TaskChanges)) and, for the two that
//! can only be judged on the task as it will be (a related record given half at a time, a
//! recurrence that needs a due time), by the update service. Each records its problem under
//! the field's name and yields the normalized value.

use baseops_core::FieldErrors;
use uuid::Uuid;

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

/// The title, trimmed (also when it is refused, as it always was).
pub(super) fn title(errors: &mut FieldErrors, title: &str) -> String {
    let trimmed = title.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > MAX_TITLE_LEN || trimmed.chars().any(char::is_control) {
        errors.add("title", format!("must be 1 to {MAX_TITLE_LEN} characters, without control characters"));
    }
    trimmed.to_owned()
}

/// The Markdown description, kept as written.
pub(super) fn description(errors: &mut FieldErrors, description: &str) {
    if description.chars().count() > MAX_DESCRIPTION_LEN {
        errors.add("description", format!("must be at most {MAX_DESCRIPTION_LEN} characters"));
    }
}

/// Users (assignees, watchers), sorted, without duplicates. The count is checked on the list
/// as given, before anything is done with its members.
pub(crate) fn users(errors: &mut FieldErrors, field: &str, users: &[Uuid], max: usize) -> Vec<Uuid> {
    if users.len() > max {
        errors.add(field, format!("must name at most {max} users"));
    }
    let mut users = users.to_vec();
    users.sort_unstable();
    users.dedup();
    users
}

/// Labels: lowercase, trimmed, sorted, without duplicates. The count comes first; each label
/// is then checked under its own index.
pub(super) fn labels(errors: &mut FieldErrors, labels: &[String]) -> Vec<String> {
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

/// An estimate in minutes, when there is one.
pub(super) fn estimate(errors: &mut FieldErrors, estimate: Option<i32>) {
    if estimate.is_some_and(|minutes| !(0..=MAX_ESTIMATE_MINUTES).contains(&minutes)) {
        errors.add("estimate_minutes", format!("must be 0 to {MAX_ESTIMATE_MINUTES}"));
    }
}

/// The related record: a type and an id, both or neither, the type a lower-case word.
pub(crate) fn related(errors: &mut FieldErrors, related_type: Option<&str>, related_id: Option<Uuid>) {
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

/// A recurrence rule's own problems, each under its field (`recurrence.interval`, …).
pub(super) fn recurrence(errors: &mut FieldErrors, rule: &RecurrenceRule) {
    for (field, message) in rule.problems() {
        errors.add(field, message);
    }
}

/// A recurring task needs a due time to count from.
pub(crate) fn recurrence_needs_due(errors: &mut FieldErrors, has_due: bool) {
    if !has_due {
        errors.add("recurrence", "a recurring task needs due_at");
    }
}
