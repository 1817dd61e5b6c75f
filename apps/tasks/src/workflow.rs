//! The workflow a task moves through, per organization.
//!
//! Every workflow has the five built-in stages — `todo`, `in_progress`, `in_review`, `done`,
//! `cancelled` — which an organization may rename, and may add its own stages between `todo`
//! and `done` (`qa`, `waiting_on_customer`). The *open* stages are those before `done`, in
//! order, starting with `todo`. The rules, whatever the stages are called:
//!
//! - from an open stage, forward to the next open stage, or from the last open stage to
//!   `done`;
//! - from any open stage to `cancelled`;
//! - from `done` or `cancelled` back to `todo` (reopening).
//!
//! With the default stages that is todo → in_progress → in_review → done, → cancelled from
//! any open stage, and reopening to todo.

use std::collections::HashSet;

use baseops_core::FieldErrors;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where new and reopened tasks are.
pub const TODO: &str = "todo";
/// Built-in: work started.
pub const IN_PROGRESS: &str = "in_progress";
/// Built-in: waiting for review.
pub const IN_REVIEW: &str = "in_review";
/// Finished; sets `completed_at`.
pub const DONE: &str = "done";
/// Abandoned.
pub const CANCELLED: &str = "cancelled";
/// The built-in stage keys, in their order.
pub const BUILT_IN: [&str; 5] = [TODO, IN_PROGRESS, IN_REVIEW, DONE, CANCELLED];
/// Most stages a workflow may have.
pub const MAX_STAGES: usize = 12;
/// Longest stage name.
pub const MAX_STAGE_NAME_LEN: usize = 40;
/// Longest stage key.
pub const MAX_STAGE_KEY_LEN: usize = 32;

/// A stage: a stable key (stored on tasks) and the name the organization shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// `[a-z][a-z0-9_]*`, at most 32 characters; the built-in keys are fixed.
    pub key: String,
    /// Display name, 1–40 characters.
    pub name: String,
}

/// An organization's stages, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Workflow {
    /// Open stages (from `todo`), then `done`, then `cancelled`.
    pub stages: Vec<Stage>,
}

impl Default for Workflow {
    fn default() -> Self {
        let names = ["To do", "In progress", "In review", "Done", "Cancelled"];
        Self {
            stages: BUILT_IN
                .iter()
                .zip(names)
                .map(|(key, name)| Stage { key: (*key).to_owned(), name: name.to_owned() })
                .collect(),
        }
    }
}

/// A workflow that follows the rules: the built-in stages in their order, at most
/// [`MAX_STAGES`], unique well-formed keys, printable names. Only [`Workflow::check`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedWorkflow(Workflow);

impl CheckedWorkflow {
    /// The workflow.
    pub fn workflow(&self) -> &Workflow {
        &self.0
    }

    /// The workflow, owned.
    pub fn into_inner(self) -> Workflow {
        self.0
    }
}

impl Workflow {
    /// Checks a submitted workflow (the body of `PUT /tasks/workflow`).
    ///
    /// # Errors
    /// Every problem [`Workflow::problems`] finds, by field path.
    pub fn check(self) -> Result<CheckedWorkflow, FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, message) in self.problems() {
            errors.add(field, message);
        }
        if errors.is_empty() { Ok(CheckedWorkflow(self)) } else { Err(errors) }
    }

    /// Checks a workflow; every problem found, by field path.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.stages.len() > MAX_STAGES {
            problems.push(("stages".to_owned(), format!("at most {MAX_STAGES} stages")));
        }
        // Keys seen so far: a set, so an oversized body costs time in its length, not its square.
        let mut seen = HashSet::with_capacity(Ord::min(self.stages.len(), MAX_STAGES));
        for (index, stage) in self.stages.iter().enumerate() {
            let key_ok = stage.key.len() <= MAX_STAGE_KEY_LEN
                && stage.key.starts_with(|c: char| c.is_ascii_lowercase())
                && stage.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok {
                problems
                    .push((format!("stages[{index}].key"), "must be [a-z][a-z0-9_]*, at most 32".to_owned()));
            }
            let name_len = stage.name.trim().chars().count();
            if name_len == 0 || name_len > MAX_STAGE_NAME_LEN || stage.name.chars().any(char::is_control) {
                problems.push((
                    format!("stages[{index}].name"),
                    format!("must be 1 to {MAX_STAGE_NAME_LEN} printable characters"),
                ));
            }
            if !seen.insert(stage.key.as_str()) {
                problems.push((format!("stages[{index}].key"), "is used twice".to_owned()));
            }
        }
        let position = |key: &str| self.stages.iter().position(|stage| stage.key == key);
        for key in BUILT_IN {
            if position(key).is_none() {
                problems.push(("stages".to_owned(), format!("must keep the built-in stage {key}")));
            }
        }
        let count = self.stages.len();
        let ordered = position(TODO) == Some(0)
            && position(DONE) == count.checked_sub(2)
            && position(CANCELLED) == count.checked_sub(1)
            && position(IN_PROGRESS) < position(IN_REVIEW);
        if problems.is_empty() && !ordered {
            problems.push((
                "stages".to_owned(),
                "todo comes first, in_progress before in_review, then done and cancelled last".to_owned(),
            ));
        }
        problems
    }

    /// The stage with this key.
    pub fn stage(&self, key: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| stage.key == key)
    }

    /// Whether `key` is an open stage (before `done`).
    pub fn is_open(&self, key: &str) -> bool {
        self.open_stages().any(|stage| stage.key == key)
    }

    /// The stages a task is still open in: all but done and cancelled.
    pub fn open_stages(&self) -> impl Iterator<Item = &Stage> {
        self.stages.iter().take_while(|stage| stage.key != DONE)
    }

    /// The stages a task in `from` may move to.
    pub fn allowed_from(&self, from: &str) -> Vec<&str> {
        if from == DONE || from == CANCELLED {
            return vec![TODO];
        }
        let open: Vec<&str> = self.open_stages().map(|stage| stage.key.as_str()).collect();
        let Some(index) = open.iter().position(|key| *key == from) else {
            return Vec::new();
        };
        vec![open.get(index + 1).copied().unwrap_or(DONE), CANCELLED]
    }

    /// Whether a task may move from `from` to `to`.
    pub fn allows(&self, from: &str, to: &str) -> bool {
        self.allowed_from(from).contains(&to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages(keys: &[&str]) -> Workflow {
        Workflow {
            stages: keys.iter().map(|key| Stage { key: (*key).into(), name: key.to_uppercase() }).collect(),
        }
    }

    #[test]
    fn the_default_workflow_moves_forward_cancels_and_reopens() {
        let workflow = Workflow::default();
        assert!(workflow.problems().is_empty());
        assert_eq!(workflow.allowed_from(TODO), [IN_PROGRESS, CANCELLED]);
        assert_eq!(workflow.allowed_from(IN_PROGRESS), [IN_REVIEW, CANCELLED]);
        assert_eq!(workflow.allowed_from(IN_REVIEW), [DONE, CANCELLED]);
        assert_eq!(workflow.allowed_from(DONE), [TODO]);
        assert_eq!(workflow.allowed_from(CANCELLED), [TODO]);
        assert!(workflow.allowed_from("nope").is_empty());
    }

    #[test]
    fn custom_stages_join_the_chain() {
        let workflow = stages(&["todo", "in_progress", "qa", "in_review", "signed_off", "done", "cancelled"]);
        assert!(workflow.problems().is_empty(), "{:?}", workflow.problems());
        assert_eq!(workflow.allowed_from(IN_PROGRESS), ["qa", CANCELLED]);
        assert_eq!(workflow.allowed_from("qa"), [IN_REVIEW, CANCELLED]);
        assert_eq!(workflow.allowed_from("signed_off"), [DONE, CANCELLED]);
        assert!(workflow.is_open("qa") && !workflow.is_open(DONE));
    }

    #[test]
    fn broken_workflows_are_refused() {
        for keys in [
            &["todo", "in_progress", "done", "cancelled"][..],
            &["in_progress", "todo", "in_review", "done", "cancelled"],
            &["todo", "in_review", "in_progress", "done", "cancelled"],
            &["todo", "in_progress", "in_review", "cancelled", "done"],
            &["todo", "in_progress", "in_review", "done", "qa", "cancelled"],
            &["todo", "in_progress", "in_progress", "in_review", "done", "cancelled"],
            &["todo", "in_progress", "Bad Key", "in_review", "done", "cancelled"],
        ] {
            assert!(!stages(keys).problems().is_empty(), "{keys:?}");
        }
        let mut blank = Workflow::default();
        blank.stages[0].name = " ".into();
        assert!(!blank.problems().is_empty());
    }

    #[test]
    fn a_checked_workflow_followed_the_rules() {
        let keys = ["todo", "in_progress", "qa", "in_review", "done", "cancelled"];
        assert_eq!(stages(&keys).check().map(CheckedWorkflow::into_inner), Ok(stages(&keys)));
        let errors = stages(&["todo", "todo", "in_progress", "in_review", "done", "cancelled"])
            .check()
            .expect_err("refused");
        assert_eq!(errors.get("stages[1].key"), Some(&["is used twice".to_owned()][..]));
        let errors = stages(&["todo"; 13]).check().expect_err("refused");
        let stages_problems = errors.get("stages").unwrap_or_default();
        assert_eq!(stages_problems.first().map(String::as_str), Some("at most 12 stages"), "the count first");
        assert_eq!(
            errors.iter().filter(|(_, messages)| messages.contains(&"is used twice".to_owned())).count(),
            12
        );
    }
}
