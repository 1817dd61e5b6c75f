//! The tasks app's permissions. Every one can be granted for own tasks or all tasks.
//!
//! A task is **own** for a user who created it or is one of its assignees (watching is not
//! enough). `tasks.delete` with own scope reaches only tasks the user created, so an
//! assignee cannot delete a manager's task. Editing the organization's workflow needs
//! `tasks.edit` with scope `all`.

use baseops_core::{DefaultGrant, PermissionDef, Scope};

/// See tasks, their comments, attachments and history.
pub const TASKS_VIEW: &str = "tasks.view";
/// Create tasks.
pub const TASKS_CREATE: &str = "tasks.create";
/// Edit tasks and move them through the workflow.
pub const TASKS_EDIT: &str = "tasks.edit";
/// Assign other people to tasks.
pub const TASKS_ASSIGN: &str = "tasks.assign";
/// Delete tasks.
pub const TASKS_DELETE: &str = "tasks.delete";
/// Comment on tasks.
pub const TASKS_COMMENT: &str = "tasks.comment";

/// Everything the tasks app declares.
pub const PERMISSIONS: &[PermissionDef] = &[
    PermissionDef::scoped(TASKS_VIEW, "See tasks, their comments, attachments and history"),
    PermissionDef::scoped(TASKS_CREATE, "Create tasks"),
    PermissionDef::scoped(
        TASKS_EDIT,
        "Edit tasks and move them through the workflow; with all: edit the workflow",
    ),
    PermissionDef::scoped(TASKS_ASSIGN, "Assign people other than yourself to tasks"),
    PermissionDef::scoped(TASKS_DELETE, "Delete tasks (own: those you created)"),
    PermissionDef::scoped(TASKS_COMMENT, "Comment on tasks"),
];

/// What the default roles get beyond their own rules: managers every task; the others their
/// own tasks (the accountant only reads and comments, the marketer does not comment).
pub const DEFAULT_GRANTS: &[DefaultGrant] = &[
    DefaultGrant::new("manager", "tasks.*", Scope::All),
    DefaultGrant::new("sales", TASKS_VIEW, Scope::Own),
    DefaultGrant::new("sales", TASKS_CREATE, Scope::Own),
    DefaultGrant::new("sales", TASKS_EDIT, Scope::Own),
    DefaultGrant::new("sales", TASKS_COMMENT, Scope::Own),
    DefaultGrant::new("accountant", TASKS_VIEW, Scope::Own),
    DefaultGrant::new("accountant", TASKS_COMMENT, Scope::Own),
    DefaultGrant::new("marketer", TASKS_VIEW, Scope::Own),
    DefaultGrant::new("marketer", TASKS_CREATE, Scope::Own),
    DefaultGrant::new("marketer", TASKS_EDIT, Scope::Own),
    DefaultGrant::new("support", TASKS_VIEW, Scope::Own),
    DefaultGrant::new("support", TASKS_CREATE, Scope::Own),
    DefaultGrant::new("support", TASKS_EDIT, Scope::Own),
    DefaultGrant::new("support", TASKS_COMMENT, Scope::Own),
];
