//! [`TaskChanges`]: the body of `PATCH /tasks/{id}`, and its one check, made by the handler
//! before the update service runs. A change splits in two: [`TaskEdits`], which the body
//! alone decides and the handler checks, and [`TaskPlacement`] — stage, due time, parent,
//! related record — which only the stored task and the database can judge, so the service
//! checks it and reports its problems together with the edits'.

use baseops_core::FieldErrors;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Checked;
use super::fields::{MAX_ASSIGNEES, MAX_WATCHERS, description, estimate, labels, recurrence, title, users};
use crate::Priority;
use crate::recurrence::RecurrenceRule;

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
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<DateTime<Utc>>, nullable)]
    pub due_at: Option<Option<DateTime<Utc>>>,
    /// New estimate; `null` clears it.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<i32>, nullable)]
    pub estimate_minutes: Option<Option<i32>>,
    /// New parent; `null` makes it a top-level task.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub parent_id: Option<Option<Uuid>>,
    /// New related record type (with `related_id`); `null` clears the link.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<String>, nullable, pattern = "^[a-z][a-z0-9_]{0,31}$")]
    pub related_type: Option<Option<String>>,
    /// New related record id (with `related_type`); `null` clears the link.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub related_id: Option<Option<Uuid>>,
    /// Starts or changes the task's recurrence; `null` stops the series.
    #[serde(default, deserialize_with = "baseops_core::patch::present")]
    #[schema(value_type = Option<RecurrenceRule>, nullable)]
    pub recurrence: Option<Option<RecurrenceRule>>,
}

/// The changes the body alone decides, checked (`None`: unchanged): a trimmed title of 1 to
/// 200 printable characters, a description within its limit, an estimate in range, the
/// complete sets of assignees (at most 20) and watchers (at most 50) sorted and without
/// duplicates (not yet known to be members), at most 20 clean lower-case labels, and a valid
/// recurrence rule (`Some(None)` stops the series).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskEdits {
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) priority: Option<Priority>,
    pub(crate) estimate_minutes: Option<Option<i32>>,
    pub(crate) assignees: Option<Vec<Uuid>>,
    pub(crate) watchers: Option<Vec<Uuid>>,
    pub(crate) labels: Option<Vec<String>>,
    pub(crate) recurrence: Option<Option<RecurrenceRule>>,
}

/// The changes only the stored task and the database can judge (`None`: unchanged): a stage
/// of the organization's workflow, a parent the caller sees that is not a sub-task, a related
/// record whose other half may be the stored one, and the due time a recurring task needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskPlacement {
    pub(crate) status: Option<String>,
    pub(crate) due_at: Option<Option<DateTime<Utc>>>,
    pub(crate) parent_id: Option<Option<Uuid>>,
    pub(crate) related_type: Option<Option<String>>,
    pub(crate) related_id: Option<Option<Uuid>>,
    /// The body starts or changes a recurrence, which needs the task to be due.
    pub(crate) sets_recurrence: bool,
}

/// A [`TaskChanges`] as the handler hands it to `task_update`: the edits checked (or every
/// problem with them) and the placement for the service to judge. The service reports the
/// edits' problems where it always has — after the task is found, within the caller's scope
/// and at the version given, and together with the placement's. Only [`TaskChanges::check`]
/// makes one.
#[derive(Debug, Clone)]
pub struct CheckedTaskChanges {
    pub(crate) edits: Checked<TaskEdits>,
    pub(crate) placement: TaskPlacement,
}

impl TaskChanges {
    /// Checks every change the body alone decides.
    pub fn check(self) -> CheckedTaskChanges {
        let mut errors = FieldErrors::new();
        let title = self.title.map(|text| title(&mut errors, &text));
        if let Some(text) = &self.description {
            description(&mut errors, text);
        }
        if let Some(minutes) = self.estimate_minutes {
            estimate(&mut errors, minutes);
        }
        if let Some(Some(rule)) = &self.recurrence {
            recurrence(&mut errors, rule);
        }
        let assignees = self.assignees.map(|list| users(&mut errors, "assignees", &list, MAX_ASSIGNEES));
        let watchers = self.watchers.map(|list| users(&mut errors, "watchers", &list, MAX_WATCHERS));
        let labels = self.labels.map(|list| labels(&mut errors, &list));
        let placement = TaskPlacement {
            status: self.status,
            due_at: self.due_at,
            parent_id: self.parent_id,
            related_type: self.related_type,
            related_id: self.related_id,
            sets_recurrence: matches!(self.recurrence, Some(Some(_))),
        };
        let edits = if errors.is_empty() {
            Ok(TaskEdits {
                title,
                description: self.description,
                priority: self.priority,
                estimate_minutes: self.estimate_minutes,
                assignees,
                watchers,
                labels,
                recurrence: self.recurrence,
            })
        } else {
            Err(errors)
        };
        CheckedTaskChanges { edits, placement }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recurrence::Frequency;

    #[test]
    fn edits_are_normalized_and_the_placement_travels_beside_them() {
        let parent = Uuid::now_v7();
        let checked = TaskChanges {
            title: Some(" Renamed ".into()),
            status: Some("done".into()),
            labels: Some(vec!["B".into(), "a".into(), "b".into()]),
            estimate_minutes: Some(None),
            parent_id: Some(Some(parent)),
            related_type: Some(None),
            recurrence: Some(None),
            ..TaskChanges::default()
        }
        .check();
        let edits = checked.edits.expect("accepted");
        assert_eq!(edits.title.as_deref(), Some("Renamed"));
        assert_eq!(edits.labels, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(edits.estimate_minutes, Some(None));
        assert_eq!(edits.recurrence, Some(None));
        assert_eq!(checked.placement.status.as_deref(), Some("done"));
        assert_eq!(checked.placement.parent_id, Some(Some(parent)));
        assert_eq!(checked.placement.related_type, Some(None));
        assert!(!checked.placement.sets_recurrence, "stopping a series needs no due time");
    }

    #[test]
    fn the_placement_survives_problems_with_the_edits() {
        let rule = RecurrenceRule {
            frequency: Frequency::Monthly,
            interval: 0,
            weekdays: vec![],
            day_of_month: None,
        };
        let checked = TaskChanges {
            title: Some(String::new()),
            assignees: Some((0..21).map(|_| Uuid::now_v7()).collect()),
            estimate_minutes: Some(Some(100_001)),
            status: Some("nowhere".into()),
            recurrence: Some(Some(rule)),
            ..TaskChanges::default()
        }
        .check();
        let errors = checked.edits.expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(
            fields,
            ["assignees", "estimate_minutes", "recurrence.day_of_month", "recurrence.interval", "title"]
        );
        assert_eq!(checked.placement.status.as_deref(), Some("nowhere"));
        assert!(checked.placement.sets_recurrence);
    }

    #[test]
    fn nothing_given_changes_nothing() {
        let checked = TaskChanges::default().check();
        assert_eq!(checked.edits, Ok(TaskEdits::default()));
        assert_eq!(checked.placement, TaskPlacement::default());
    }
}
