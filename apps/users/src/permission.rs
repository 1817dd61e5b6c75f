//! The users app's permissions.

use baseops_core::{DefaultGrant, PermissionDef, Scope};

/// See the organization's members.
pub const MEMBERS_VIEW: &str = "members.view";
/// Invite people into the organization.
pub const MEMBERS_INVITE: &str = "members.invite";
/// Remove members.
pub const MEMBERS_MANAGE: &str = "members.manage";
/// Edit the organization's name, slug, currency and time zone.
pub const ORGANIZATIONS_EDIT: &str = "organizations.edit";
/// Delete the organization.
pub const ORGANIZATIONS_DELETE: &str = "organizations.delete";

/// Everything the users app declares.
pub const PERMISSIONS: &[PermissionDef] = &[
    PermissionDef::global(MEMBERS_VIEW, "See the organization's members and their roles"),
    PermissionDef::global(MEMBERS_INVITE, "Invite people into the organization"),
    PermissionDef::global(MEMBERS_MANAGE, "Remove members from the organization"),
    PermissionDef::global(ORGANIZATIONS_EDIT, "Edit the organization's name, slug, currency and time zone"),
    PermissionDef::global(ORGANIZATIONS_DELETE, "Delete the organization"),
];

/// What the default roles get beyond their own rules: managers invite; everyone who works
/// with colleagues sees the members.
pub const DEFAULT_GRANTS: &[DefaultGrant] = &[
    DefaultGrant::new("manager", MEMBERS_INVITE, Scope::All),
    DefaultGrant::new("sales", MEMBERS_VIEW, Scope::All),
    DefaultGrant::new("accountant", MEMBERS_VIEW, Scope::All),
    DefaultGrant::new("marketer", MEMBERS_VIEW, Scope::All),
    DefaultGrant::new("support", MEMBERS_VIEW, Scope::All),
];
