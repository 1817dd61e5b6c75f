//! The analytics app's permissions: tracking is for every member, the figures for those
//! who run the organization.

use baseops_core::{DefaultGrant, PermissionDef, Scope};

/// Record analytics events.
pub const ANALYTICS_TRACK: &str = "analytics.track";
/// See the KPIs and the dashboard.
pub const ANALYTICS_VIEW: &str = "analytics.view";

/// Everything the analytics app declares.
pub const PERMISSIONS: &[PermissionDef] = &[
    PermissionDef::global(ANALYTICS_TRACK, "Record analytics events (the console and integrations)"),
    PermissionDef::global(ANALYTICS_VIEW, "See the KPIs and the dashboard"),
];

/// Every default role that changes anything tracks (owner and admin by their `*` rule); the
/// viewer keeps its promise of changing nothing. The manager and the viewer see the figures
/// by their `*.view` rule.
pub const DEFAULT_GRANTS: &[DefaultGrant] = &[
    DefaultGrant::new("manager", ANALYTICS_TRACK, Scope::All),
    DefaultGrant::new("sales", ANALYTICS_TRACK, Scope::All),
    DefaultGrant::new("accountant", ANALYTICS_TRACK, Scope::All),
    DefaultGrant::new("marketer", ANALYTICS_TRACK, Scope::All),
    DefaultGrant::new("support", ANALYTICS_TRACK, Scope::All),
];
