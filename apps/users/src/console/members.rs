//! The active organization's members and their roles: the same handler as `GET /members`,
//! the same services and permissions as `PUT /members/{id}/roles`, `DELETE /members/{id}`
//! and `POST /users/{id}/deactivate`. Forms show only for those who may use them; the
//! endpoints refuse everyone else anyway.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, Json};
use baseops_roles::permission::ROLES_MANAGE;
use sea_orm::TransactionTrait;
use serde::Serialize;
use uuid::Uuid;

use super::form::{DoneQuery, Failure, all, answer, done, one};
use crate::api::members::MemberOut;
use crate::permission::MEMBERS_MANAGE;
use crate::service::organization::{MemberRoles, member_find, member_remove, member_roles_replace};
use crate::service::user::user_deactivate;
use crate::session_store::SessionStore;

const PAGE: &str = "/admin/members";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/admin/members/{id}/roles", post(set_roles))
        .route("/admin/members/{id}/remove", post(remove))
        .route("/admin/members/{id}/deactivate", post(deactivate))
}

fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "roles" => "The roles are saved.",
        "removed" => "The member is removed from the organization.",
        "deactivated" => "The account is deactivated: it cannot sign in, its sessions and tokens have ended.",
        _ => return None,
    })
}

/// A role as a member's row shows it.
#[derive(Debug, Serialize)]
struct RoleMark {
    id: Uuid,
    name: String,
    held: bool,
}

/// A member's row.
#[derive(Debug, Serialize)]
struct Row {
    member: MemberOut,
    roles: Vec<RoleMark>,
    me: bool,
}

async fn render(
    state: &AppState,
    signed: &Signed,
    failure: Option<Failure>,
    done: Option<&'static str>,
) -> Result<Response, ConsoleError> {
    // The API's own handler: the same permission check and the same read.
    let Json(members) = crate::api::members::list(State(state.clone()), signed.ctx.clone()).await?;
    let roles = baseops_roles::role_list(state.db().read(), signed.ctx.organization_id()?)
        .await
        .map_err(ApiError::from)?;
    let rows: Vec<Row> = members
        .into_iter()
        .map(|member| Row {
            roles: roles
                .iter()
                .map(|role| RoleMark {
                    id: role.id,
                    name: role.name.clone(),
                    held: member.role_ids.contains(&role.id),
                })
                .collect(),
            me: member.user_id == signed.ctx.user_id(),
            member,
        })
        .collect();
    let page = signed.page(
        "users/members.html",
        vec![Crumb::here("Members")],
        context! {
            members => value(&rows),
            can_set_roles => signed.can(ROLES_MANAGE),
            can_remove => signed.can(MEMBERS_MANAGE),
            can_deactivate => signed.ctx.principal.is_superuser,
            done => done,
            failure => value(&failure),
        },
    );
    Ok(answer(failure.as_ref(), page))
}

async fn page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ConsoleError> {
    render(&state, &signed, None, done_message(&query.done)).await
}

/// `PUT /members/{id}/roles` from a member's check boxes, at the version the page read.
async fn set_roles(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(ROLES_MANAGE)?;
    let Ok(roles) = all(&fields, "roles").map(str::parse).collect::<Result<Vec<Uuid>, _>>() else {
        let failure = Failure::field("roles", "roles", "must be roles of this organization")?;
        return render(&state, &signed, Some(failure), None).await;
    };
    let expected = one(&fields, "version").parse::<i32>().ok();
    let replaced = async {
        let roles = MemberRoles { roles }.check().map_err(ApiError::Validation)?;
        let organization_id = ctx.organization_id()?;
        let txn = state.db().write().begin().await?;
        let granter = baseops_roles::Granter::of(ctx, state.permissions().permissions());
        member_roles_replace(&txn, ctx.acting(), &granter, organization_id, id, expected, &roles).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match replaced.await {
        Ok(()) => Ok(done(PAGE, "roles")),
        Err(error) => render(&state, &signed, Some(Failure::of("roles", error)?), None).await,
    }
}

/// `DELETE /members/{id}`: anyone may leave; removing someone else needs members.manage.
async fn remove(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let organization_id = ctx.organization_id()?;
    let txn = state.db().write().begin().await.map_err(ApiError::from)?;
    let member = member_find(&txn, organization_id, id).await?;
    let leaving = member.user_id == ctx.user_id();
    if leaving {
        ctx.require_session()?;
    } else {
        ctx.require(MEMBERS_MANAGE)?;
    }
    let removed = async {
        member_remove(&txn, ctx.acting(), organization_id, id).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match removed.await {
        Ok(()) if leaving => Ok(Redirect::to("/admin").into_response()),
        Ok(()) => Ok(done(PAGE, "removed")),
        Err(error) => render(&state, &signed, Some(Failure::of("remove", error)?), None).await,
    }
}

/// `POST /users/{id}/deactivate` for a member of this organization: superusers only, never
/// oneself.
async fn deactivate(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    if !ctx.principal.is_superuser {
        return Err(ApiError::Forbidden.into());
    }
    let member = member_find(state.db().read(), ctx.organization_id()?, id).await?;
    if member.user_id == ctx.user_id() {
        let error = ApiError::Conflict {
            code: "self_deactivation",
            detail: "You cannot deactivate yourself.".into(),
        };
        return render(&state, &signed, Some(Failure::of("deactivate", error)?), None).await;
    }
    let deactivated = async {
        let txn = state.db().write().begin().await?;
        user_deactivate(&txn, ctx.acting(), member.user_id, &SessionStore::of(&state)).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    deactivated.await?;
    Ok(done(PAGE, "deactivated"))
}
