//! The tasks app through its HTTP API, on SQLite and (with `BASEOPS_TEST_DATABASE_URL`)
//! PostgreSQL: the workflow, optimistic concurrency, idempotent creation, permissions per
//! default role and tenant, lists, comments, attachments, recurrence, reminders and the
//! overdue digest through the job queue, bad input, and which refusal comes first.

mod bad_input;
mod collaboration;
mod comment_versions;
mod concurrency;
mod console;
mod console_attachments;
mod console_board;
mod console_forms;
mod jobs;
mod lists;
mod palette;
mod permissions;
mod precedence;
mod support;
mod uploads;
mod workflow;
