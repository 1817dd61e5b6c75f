//! The active organization's pending invitations: the same permission and services as
//! `GET/POST /invitations` and `DELETE /invitations/{id}`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState};
use chrono::Utc;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::form::{DoneQuery, Failure, answer, done};
use crate::api::invitations::InvitationOut;
use crate::permission::MEMBERS_INVITE;
use crate::service::invitation::{
    NewInvitation, invitation_create, invitation_list_pending, invitation_revoke,
};

const PAGE: &str = "/admin/invitations";

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PAGE, get(page).post(invite)).route("/admin/invitations/{id}/revoke", post(revoke))
}

fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "invited" => "The invitation is on its way.",
        "revoked" => "The invitation is revoked: its link no longer works.",
        _ => return None,
    })
}

/// The invitation form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct InviteForm {
    email: String,
    role: String,
}

async fn render(
    state: &AppState,
    signed: &Signed,
    form: InviteForm,
    failure: Option<Failure>,
    done: Option<&'static str>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(MEMBERS_INVITE)?;
    let pending = invitation_list_pending(state.db().read(), ctx.organization_id()?, Utc::now())
        .await
        .map_err(ApiError::from)?;
    let pending: Vec<InvitationOut> = pending.into_iter().map(Into::into).collect();
    let roles: Vec<_> = baseops_roles::DEFAULT_ROLES
        .iter()
        .map(|role| context! { key => role.key, name => role.name })
        .collect();
    let page = signed.page(
        "users/invitations.html",
        vec![Crumb::link("Members", "/admin/members"), Crumb::here("Invitations")],
        context! {
            invitations => value(&pending),
            roles => roles,
            form => value(&form),
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
    let form = InviteForm { role: "viewer".to_owned(), ..InviteForm::default() };
    render(&state, &signed, form, None, done_message(&query.done)).await
}

/// `POST /invitations`: the inviter may hand out only what they hold (owners invite owners).
async fn invite(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<InviteForm>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(MEMBERS_INVITE)?;
    let created = async {
        let organization_id = ctx.organization_id()?;
        let new =
            NewInvitation { email: &form.email, role: &form.role }.check().map_err(ApiError::Validation)?;
        let txn = state.db().write().begin().await?;
        let granter = baseops_roles::Granter::of(ctx, state.permissions().permissions());
        invitation_create(&txn, ctx.acting(), organization_id, new, &granter, state.settings(), Utc::now())
            .await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match created.await {
        Ok(()) => Ok(done(PAGE, "invited")),
        Err(error) => {
            let failure = Failure::of("invite", error)?;
            render(&state, &signed, form, Some(failure), None).await
        }
    }
}

/// `DELETE /invitations/{id}`: 404 for another organization's invitation.
async fn revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    ctx.require(MEMBERS_INVITE)?;
    let revoked = async {
        let organization_id = ctx.organization_id()?;
        let txn = state.db().write().begin().await?;
        invitation_revoke(&txn, ctx.acting(), organization_id, id).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    revoked.await?;
    Ok(done(PAGE, "revoked"))
}
