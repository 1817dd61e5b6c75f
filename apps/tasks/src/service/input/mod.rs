//! What clients send to create and change tasks, and the one place each body is checked. The
//! handlers check a body once ([`NewTask::check`], [`TaskChanges::check`]); the services take
//! only what that makes, and check against the database what only it can tell: a parent the
//! caller sees, a stage of the workflow, members of the organization.
//!
//! A checked body carries its field problems rather than failing at the edge, as [`Checked`]:
//! the create and update services refuse some requests for other reasons first (a reused
//! idempotency key, a task outside the caller's scope) and report the body's problems
//! together with those only the database finds (an unknown parent or stage), so a body with
//! several problems gets the one answer it always got.

mod changes;
mod fields;
mod new_task;

use baseops_core::{ApiError, FieldErrors};

pub use changes::{CheckedTaskChanges, TaskChanges, TaskEdits, TaskPlacement};
pub use fields::{MAX_ASSIGNEES, MAX_LABELS, MAX_WATCHERS};
pub(crate) use fields::{recurrence_needs_due, related, users};
pub use new_task::{CheckedNewTask, NewTask, TaskFields};

/// What the edge made of a body's fields: the checked value, or every problem with them.
pub type Checked<T> = Result<T, FieldErrors>;

/// The edge's verdict on a body joined with the problems a service found: the checked value
/// when there is none, else one 422 naming every problem.
pub(crate) fn joined<T>(checked: Checked<T>, found: FieldErrors) -> Result<T, ApiError> {
    match checked {
        Ok(value) => found.into_result().map(|()| value),
        Err(mut problems) => {
            for (field, messages) in found.iter() {
                for message in messages {
                    problems.add(field, message.clone());
                }
            }
            Err(ApiError::Validation(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(field: &str, message: &str) -> FieldErrors {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        errors
    }

    #[test]
    fn problems_from_both_sides_make_one_answer() {
        assert_eq!(joined(Ok(7), FieldErrors::new()).ok(), Some(7));
        let Err(ApiError::Validation(found)) = joined(Ok(7), one("parent_id", "no such task")) else {
            panic!("refused");
        };
        assert_eq!(found, one("parent_id", "no such task"));
        let Err(ApiError::Validation(both)) =
            joined::<()>(Err(one("title", "bad")), one("parent_id", "no such task"))
        else {
            panic!("refused");
        };
        let fields: Vec<&str> = both.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["parent_id", "title"]);
    }
}
