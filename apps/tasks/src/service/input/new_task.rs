//! [`NewTask`]: the body of `POST /tasks`, and its one check, made by the handler before the
//! create service runs: [`TaskFields`] for the fields the body alone decides, the parent
//! beside them for the service to look up.

use baseops_core::FieldErrors;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Checked;
use super::fields::{
    MAX_ASSIGNEES, MAX_WATCHERS, description, estimate, labels, recurrence, recurrence_needs_due, related,
    title, users,
};
use crate::Priority;
use crate::recurrence::RecurrenceRule;

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
    #[schema(pattern = "^[a-z][a-z0-9_]{0,31}$")]
    pub related_type: Option<String>,
    /// That record's id, with `related_type`.
    #[serde(default)]
    pub related_id: Option<Uuid>,
    /// Makes it the first occurrence of a recurring series; needs `due_at`.
    #[serde(default)]
    pub recurrence: Option<RecurrenceRule>,
}

/// A new task's own fields, checked: a trimmed title of 1 to 200 printable characters, a
/// description within its limit, assignees (at most 20) and watchers (at most 50) sorted and
/// without duplicates (not yet known to be members), at most 20 clean lower-case labels, an
/// estimate in range, a related record given whole with a well-formed type, and a valid
/// recurrence rule with a due time to count from. Only [`NewTask::check`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFields {
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) priority: Priority,
    pub(crate) assignees: Vec<Uuid>,
    pub(crate) watchers: Vec<Uuid>,
    pub(crate) labels: Vec<String>,
    pub(crate) due_at: Option<DateTime<Utc>>,
    pub(crate) estimate_minutes: Option<i32>,
    pub(crate) related_type: Option<String>,
    pub(crate) related_id: Option<Uuid>,
    pub(crate) recurrence: Option<RecurrenceRule>,
}

/// A [`NewTask`] as the handler hands it to `task_create`: its own fields checked (or every
/// problem with them), and the parent it names, which only the database can check. The
/// service reports the fields' problems together with the parent's, after the idempotency
/// key is claimed, as it always has. Only [`NewTask::check`] makes one.
#[derive(Debug, Clone)]
pub struct CheckedNewTask {
    pub(crate) fields: Checked<TaskFields>,
    pub(crate) parent_id: Option<Uuid>,
}

impl NewTask {
    /// Checks every field the body alone decides.
    pub fn check(self) -> CheckedNewTask {
        let mut errors = FieldErrors::new();
        let title = title(&mut errors, &self.title);
        let description_text = self.description.unwrap_or_default();
        description(&mut errors, &description_text);
        let assignees = users(&mut errors, "assignees", &self.assignees.unwrap_or_default(), MAX_ASSIGNEES);
        let watchers = users(&mut errors, "watchers", &self.watchers.unwrap_or_default(), MAX_WATCHERS);
        let labels = labels(&mut errors, &self.labels.unwrap_or_default());
        estimate(&mut errors, self.estimate_minutes);
        related(&mut errors, self.related_type.as_deref(), self.related_id);
        if let Some(rule) = &self.recurrence {
            recurrence(&mut errors, rule);
            recurrence_needs_due(&mut errors, self.due_at.is_some());
        }
        let fields = if errors.is_empty() {
            Ok(TaskFields {
                title,
                description: description_text,
                priority: self.priority.unwrap_or_default(),
                assignees,
                watchers,
                labels,
                due_at: self.due_at,
                estimate_minutes: self.estimate_minutes,
                related_type: self.related_type,
                related_id: self.related_id,
                recurrence: self.recurrence,
            })
        } else {
            Err(errors)
        };
        CheckedNewTask { fields, parent_id: self.parent_id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recurrence::Frequency;

    fn problems(task: NewTask) -> Vec<(String, Vec<String>)> {
        let errors = task.check().fields.expect_err("refused");
        errors.iter().map(|(field, messages)| (field.to_owned(), messages.to_vec())).collect()
    }

    fn fields(of: &[(String, Vec<String>)]) -> Vec<&str> {
        of.iter().map(|(field, _)| field.as_str()).collect()
    }

    #[test]
    fn a_new_task_is_normalized() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let checked = NewTask {
            title: "  Call Ada  ".into(),
            assignees: Some(vec![b, a, b]),
            labels: Some(vec![" Sales".into(), "ops".into(), "sales ".into()]),
            parent_id: Some(a),
            ..NewTask::default()
        }
        .check();
        assert_eq!(checked.parent_id, Some(a), "the parent travels beside the fields");
        let fields = checked.fields.expect("accepted");
        assert_eq!(fields.title, "Call Ada");
        assert_eq!(fields.description, "");
        assert_eq!(fields.priority, Priority::Normal);
        assert_eq!(fields.assignees, {
            let mut sorted = vec![a, b];
            sorted.sort_unstable();
            sorted
        });
        assert_eq!(fields.labels, ["ops", "sales"]);
    }

    #[test]
    fn every_problem_is_reported_under_its_field() {
        let found = problems(NewTask {
            title: " ".into(),
            description: Some("x".repeat(20_001)),
            watchers: Some((0..51).map(|_| Uuid::now_v7()).collect()),
            labels: Some(vec!["ok".into(), "a,b".into()]),
            estimate_minutes: Some(-5),
            related_type: Some("lead".into()),
            ..NewTask::default()
        });
        assert_eq!(
            fields(&found),
            ["description", "estimate_minutes", "labels[1]", "related_id", "title", "watchers"]
        );
    }

    #[test]
    fn the_label_count_comes_before_each_label() {
        let mut labels: Vec<String> = (0..21).map(|n| n.to_string()).collect();
        labels.push(String::new());
        let found = problems(NewTask { title: "ok".into(), labels: Some(labels), ..NewTask::default() });
        assert_eq!(fields(&found), ["labels", "labels[21]"]);
        assert_eq!(found[0].1, ["must be at most 20"]);
    }

    #[test]
    fn related_records_and_recurrences_are_checked_whole() {
        let found = problems(NewTask {
            title: "ok".into(),
            related_type: Some("Lead; DROP".into()),
            related_id: Some(Uuid::now_v7()),
            recurrence: Some(RecurrenceRule {
                frequency: Frequency::Weekly,
                interval: 1,
                weekdays: vec![9],
                day_of_month: None,
            }),
            ..NewTask::default()
        });
        assert_eq!(fields(&found), ["recurrence", "recurrence.weekdays", "related_type"]);
        assert_eq!(found[0].1, ["a recurring task needs due_at"]);
    }
}
