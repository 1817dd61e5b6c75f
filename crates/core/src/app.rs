//! The descriptor each app hands to the composition root.

use baseops_config::Settings;
use baseops_db::MigrationList;
use utoipa_axum::router::OpenApiRouter;

use crate::{AppState, PermissionDef};

/// An app as the platform sees it: a name, its API routes and its migrations.
///
/// Apps are listed explicitly in the composition root (the `baseops` crate), in the order
/// their migrations must run. Later issues add permissions, jobs, event handlers and console
/// pages here.
#[derive(Clone, Copy, Debug)]
pub struct App {
    /// Short unique name (`tasks`, `leads`), used in logs and docs.
    pub name: &'static str,
    /// Routes mounted under `/api/v1`, documented in the OpenAPI document.
    pub api: fn() -> OpenApiRouter<AppState>,
    /// The app's migrations, oldest first.
    pub migrations: MigrationList,
    /// The permissions the app declares.
    pub permissions: &'static [PermissionDef],
    /// Routes that take bodies larger than `server.body_limit_bytes` (file uploads).
    pub large_bodies: &'static [LargeBody],
}

/// A route that accepts a body larger than `server.body_limit_bytes` — a file upload — up to
/// its own limit. Every other route keeps the global limit.
#[derive(Clone, Copy, Debug)]
pub struct LargeBody {
    /// The method, upper case (`POST`).
    pub method: &'static str,
    /// The route as the app declares it, under `/api/v1` (`/tasks/{id}/attachments`).
    pub path: &'static str,
    /// Its limit in bytes, from the settings (the file limit plus room for the form around it).
    pub limit: fn(&Settings) -> usize,
}

impl App {
    /// An app with no routes and no migrations yet.
    pub const fn new(name: &'static str) -> Self {
        Self { name, api: OpenApiRouter::new, migrations: Vec::new, permissions: &[], large_bodies: &[] }
    }

    /// Sets the API routes.
    pub const fn with_api(mut self, api: fn() -> OpenApiRouter<AppState>) -> Self {
        self.api = api;
        self
    }

    /// Sets the permissions the app declares.
    pub const fn with_permissions(mut self, permissions: &'static [PermissionDef]) -> Self {
        self.permissions = permissions;
        self
    }

    /// Sets the routes that take large bodies.
    pub const fn with_large_bodies(mut self, routes: &'static [LargeBody]) -> Self {
        self.large_bodies = routes;
        self
    }

    /// Every permission the apps declare, in app order.
    pub fn permissions_of(apps: &[App]) -> Vec<PermissionDef> {
        apps.iter().flat_map(|app| app.permissions.iter().copied()).collect()
    }

    /// Sets the migrations.
    pub const fn with_migrations(mut self, migrations: MigrationList) -> Self {
        self.migrations = migrations;
        self
    }
}
