//! The roles app in the console: the organization's roles, and each role's permission
//! matrix (none, own records or all records per permission, with the registry's
//! descriptions) — the same checks and services as `GET/POST /roles`, `PATCH /roles/{id}`
//! (with the version read as `If-Match`) and `DELETE /roles/{id}`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use baseops_app::{ConsolePage, ConsoleSection};
use baseops_console::form::{DoneQuery, Failure, answer, done};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, PermissionDef, Scope};
use sea_orm::TransactionTrait;
use serde::Serialize;
use uuid::Uuid;

use crate::defaults::OWNER;
use crate::permission::{ROLES_MANAGE, ROLES_VIEW};
use crate::selector::{RoleOut, role_list};
use crate::service::{Granter, RoleInput, role_create, role_delete, role_update};

/// What the roles app adds to the console.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[ConsolePage { path: "roles", title: "Roles", permission: Some(ROLES_VIEW) }],
    routes,
    templates: &[
        ("roles/list.html", include_str!("../templates/roles/list.html")),
        ("roles/form.html", include_str!("../templates/roles/form.html")),
        ("roles/delete.html", include_str!("../templates/roles/delete.html")),
    ],
    search: None,
    work: None,
};

fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/roles", get(list))
        .route("/admin/roles/new", get(new_form).post(create))
        .route("/admin/roles/{id}", get(detail).post(update))
        .route("/admin/roles/{id}/delete", get(delete_form).post(delete))
}

/// Most fields a role form may carry: its name, description, version and token, and one
/// choice per permission with room to spare. More is not a browser's form.
const MAX_FIELDS: usize = 2000;

fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "created" => "The role is created.",
        "saved" => "The role is saved. Members holding it have the new permissions from their next request.",
        "deleted" => "The role is deleted; its members no longer hold it.",
        _ => return None,
    })
}

async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(ROLES_VIEW)?;
    let roles = role_list(state.db().read(), signed.ctx.organization_id()?).await.map_err(ApiError::from)?;
    Ok(signed.page(
        "roles/list.html",
        vec![Crumb::here("Roles")],
        context! {
            roles => value(&roles),
            done => done_message(&query.done),
            can_manage => signed.can(ROLES_MANAGE),
        },
    ))
}

async fn role_of(state: &AppState, signed: &Signed, id: Uuid, fresh: bool) -> Result<RoleOut, ApiError> {
    let db = if fresh { state.db().write() } else { state.db().read() };
    let roles = role_list(db, signed.ctx.organization_id()?).await?;
    roles.into_iter().find(|role| role.id == id).ok_or(ApiError::NotFound)
}

/// One row of the matrix: a permission of the registry and what the role grants of it.
#[derive(Serialize)]
struct Row {
    name: &'static str,
    description: &'static str,
    scopable: bool,
    /// `none`, `own` or `all`.
    granted: &'static str,
}

/// The matrix grouped by resource (`leads`, `tasks`, …), in the registry's order.
fn matrix(registry: &[PermissionDef], grants: &BTreeMap<String, Scope>) -> Vec<(String, Vec<Row>)> {
    let mut groups: Vec<(String, Vec<Row>)> = Vec::new();
    for permission in registry {
        let resource = permission.name.split('.').next().unwrap_or(permission.name);
        let granted = match grants.get(permission.name) {
            Some(Scope::All) => "all",
            Some(Scope::Own) => "own",
            None => "none",
        };
        let row = Row {
            name: permission.name,
            description: permission.description,
            scopable: permission.scopable,
            granted,
        };
        match groups.last_mut() {
            Some((group, rows)) if group == resource => rows.push(row),
            _ => groups.push((resource.to_owned(), vec![row])),
        }
    }
    groups
}

/// A role's form as sent: name, description, version, and `grant:<permission>` choices.
struct RoleForm {
    name: String,
    description: String,
    version: String,
    grants: BTreeMap<String, Scope>,
}

impl RoleForm {
    fn read(fields: &[(String, String)]) -> Result<Self, ApiError> {
        if fields.len() > MAX_FIELDS {
            return Err(ApiError::invalid("grants", "has more choices than there are permissions"));
        }
        let one = |key: &str| baseops_console::form::one(fields, key).to_owned();
        let mut grants = BTreeMap::new();
        for (key, choice) in fields {
            let Some(permission) = key.strip_prefix("grant:") else { continue };
            let scope = match choice.as_str() {
                "all" => Scope::All,
                "own" => Scope::Own,
                "none" | "" => continue,
                _ => {
                    return Err(ApiError::invalid(
                        &format!("grants.{permission}"),
                        "must be none, own or all",
                    ));
                }
            };
            grants.insert(permission.to_owned(), scope);
        }
        Ok(Self { name: one("name"), description: one("description"), version: one("version"), grants })
    }

    fn of(role: &RoleOut) -> Self {
        Self {
            name: role.name.clone(),
            description: role.description.clone(),
            version: role.version.to_string(),
            grants: role.grants.clone(),
        }
    }

    fn input(&self) -> RoleInput {
        RoleInput {
            name: Some(self.name.clone()),
            description: Some(self.description.trim().to_owned()),
            grants: Some(self.grants.clone()),
        }
    }
}

/// The role page: its matrix, editable by those who manage roles (the owner role's grants
/// are fixed: it holds everything).
fn render(
    state: &AppState,
    signed: &Signed,
    role: Option<&RoleOut>,
    form: &RoleForm,
    failure: Option<Failure>,
    done: Option<&'static str>,
) -> Response {
    let registry = state.permissions().permissions();
    let fixed = role.is_some_and(|role| role.key.as_deref() == Some(OWNER));
    let (crumbs, action) = match role {
        Some(role) => (
            vec![Crumb::link("Roles", "/admin/roles"), Crumb::here(role.name.clone())],
            format!("/admin/roles/{}", role.id),
        ),
        None => (
            vec![Crumb::link("Roles", "/admin/roles"), Crumb::here("New role")],
            "/admin/roles/new".to_owned(),
        ),
    };
    let page = signed.page(
        "roles/form.html",
        crumbs,
        context! {
            role => value(&role),
            form => context! { name => form.name.as_str(), description => form.description.as_str(), version => form.version.as_str() },
            groups => value(&matrix(registry, &form.grants)),
            action => action,
            editable => signed.can(ROLES_MANAGE),
            fixed => fixed,
            failure => value(&failure),
            done => done,
        },
    );
    answer(failure.as_ref(), page)
}

async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(ROLES_VIEW)?;
    let role = role_of(&state, &signed, id, false).await?;
    Ok(render(&state, &signed, Some(&role), &RoleForm::of(&role), None, done_message(&query.done)))
}

async fn new_form(State(state): State<AppState>, signed: Signed) -> Result<Response, ConsoleError> {
    signed.ctx.require(ROLES_MANAGE)?;
    let form = RoleForm {
        name: String::new(),
        description: String::new(),
        version: String::new(),
        grants: BTreeMap::new(),
    };
    Ok(render(&state, &signed, None, &form, None, None))
}

async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(ROLES_MANAGE)?;
    let form = RoleForm::read(&fields)?;
    let created = async {
        let organization_id = ctx.organization_id()?;
        let registry = state.permissions().permissions();
        let checked = form.input().check_new(registry).map_err(ApiError::Validation)?;
        let txn = state.db().write().begin().await?;
        let role =
            role_create(&txn, ctx.acting(), &Granter::of(ctx, registry), organization_id, checked).await?;
        txn.commit().await?;
        Ok::<_, ApiError>(role.id)
    };
    match created.await {
        Ok(id) => Ok(done(&format!("/admin/roles/{id}"), "created")),
        Err(error) => Ok(render(&state, &signed, None, &form, Some(Failure::of("role", error)?), None)),
    }
}

async fn update(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(ROLES_MANAGE)?;
    let role = role_of(&state, &signed, id, true).await?;
    let form = RoleForm::read(&fields)?;
    let updated = async {
        let version = form.version.trim().parse().map_err(|_| ApiError::PreconditionFailed)?;
        let registry = state.permissions().permissions();
        let mut input = form.input();
        if role.key.as_deref() == Some(OWNER) {
            // The owner role's grants are fixed; its name and description are not.
            input.grants = None;
        }
        let changes = input.check_changes(registry).map_err(ApiError::Validation)?;
        let txn = state.db().write().begin().await?;
        let granter = Granter::of(ctx, registry);
        role_update(&txn, ctx.acting(), &granter, ctx.organization_id()?, id, Some(version), changes).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match updated.await {
        Ok(()) => Ok(done(&format!("/admin/roles/{id}"), "saved")),
        Err(error) => {
            let failure = Failure::of_edit("role", error, "role")?;
            Ok(render(&state, &signed, Some(&role), &form, Some(failure), None))
        }
    }
}

fn confirm_page(signed: &Signed, role: &RoleOut, failure: Option<Failure>) -> Response {
    let page = signed.page(
        "roles/delete.html",
        vec![
            Crumb::link("Roles", "/admin/roles"),
            Crumb::link(role.name.clone(), format!("/admin/roles/{}", role.id)),
            Crumb::here("Delete"),
        ],
        context! { role => value(role), failure => value(&failure) },
    );
    answer(failure.as_ref(), page)
}

async fn delete_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(ROLES_MANAGE)?;
    let role = role_of(&state, &signed, id, false).await?;
    Ok(confirm_page(&signed, &role, None))
}

async fn delete(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(ROLES_MANAGE)?;
    let deleted = async {
        let txn = state.db().write().begin().await?;
        let granter = Granter::of(ctx, state.permissions().permissions());
        role_delete(&txn, ctx.acting(), &granter, ctx.organization_id()?, id).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match deleted.await {
        Ok(()) => Ok(Redirect::to("/admin/roles?done=deleted").into_response()),
        Err(error @ (ApiError::Conflict { .. } | ApiError::Refused { .. })) => {
            let role = role_of(&state, &signed, id, true).await?;
            Ok(confirm_page(&signed, &role, Some(Failure::of("delete", error)?)))
        }
        Err(error) => Err(error.into()),
    }
}
