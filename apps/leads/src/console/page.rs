//! A lead's page in the console: its fields, its timeline (a page at a time) with a form to
//! log a note, call, meeting or e-mail, and the conversion of a won lead into a customer —
//! the same selectors and services as `GET /leads/{id}`, `GET/POST /leads/{id}/activities`
//! and `POST /leads/{id}/convert`.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use baseops_console::form::{Failure, answer, done};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, FieldErrors, Paging};
use chrono::{NaiveDateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::display_name;
use crate::model::{ActivityKind, StageKind};
use crate::permission::{LEADS_CONVERT, LEADS_CREATE, LEADS_DELETE, LEADS_EDIT, LEADS_VIEW, access_of};
use crate::selector::activity::{SORT, activities_of};
use crate::selector::lead::lead_get;
use crate::service::activity::{NewActivity, activity_log};
use crate::service::convert::lead_convert;

/// Timeline entries per page.
const TIMELINE_PAGE: u64 = 20;

/// The fixed messages a redirect after a change names.
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "created" => "The lead is created.",
        "saved" => "Your changes are saved.",
        "logged" => "It is on the timeline.",
        _ => return None,
    })
}

/// The page's query: a message after a change, the timeline's page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PageQuery {
    done: String,
    timeline: String,
}

/// The log-an-activity form as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct ActivityForm {
    kind: String,
    body: String,
    occurred_at: String,
    duration_minutes: String,
}

impl ActivityForm {
    /// The body `POST /leads/{id}/activities` would take.
    fn input(&self) -> Result<NewActivity, ApiError> {
        let mut errors = FieldErrors::new();
        let kind = match ActivityKind::parse(self.kind.trim()) {
            Some(
                kind
                @ (ActivityKind::Note | ActivityKind::Call | ActivityKind::Meeting | ActivityKind::Email),
            ) => Some(kind),
            _ => {
                errors.add("kind", "must be a note, call, meeting or e-mail");
                None
            }
        };
        let occurred_at = match self.occurred_at.trim() {
            "" => None,
            text => NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .map(|time| time.and_utc())
                .map_err(|_| errors.add("occurred_at", "must be a date and time such as 2026-12-31T17:00"))
                .ok(),
        };
        let duration_minutes = match self.duration_minutes.trim() {
            "" => None,
            text => text
                .parse()
                .map_err(|_| errors.add("duration_minutes", "must be a whole number of minutes"))
                .ok(),
        };
        match kind {
            Some(kind) if errors.is_empty() => {
                Ok(NewActivity { kind, body: self.body.clone(), occurred_at, duration_minutes })
            }
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

async fn render(
    state: &AppState,
    signed: &Signed,
    id: Uuid,
    timeline: Option<&str>,
    activity: &ActivityForm,
    failure: Option<Failure>,
    done: Option<&'static str>,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_VIEW)?;
    let db = state.db().read();
    let lead = lead_get(db, &access, id).await?;
    let paging = Paging::new(Some(TIMELINE_PAGE), timeline, SORT)?;
    let activities = activities_of(db, &access, id, &paging).await?;
    let name = display_name(&lead.first_name, &lead.last_name, lead.email.as_deref());
    let page = signed.page(
        "leads/detail.html",
        vec![Crumb::link("Leads", "/admin/leads"), Crumb::here(name.clone())],
        context! {
            lead => value(&lead),
            name => name,
            activities => value(&activities),
            timeline_paged => timeline.is_some(),
            activity => value(activity),
            failure => value(&failure),
            done => done,
            can_edit => signed.can(LEADS_EDIT),
            can_delete => signed.can(LEADS_DELETE),
            can_create => signed.can(LEADS_CREATE),
            // "Add task" opens the tasks app's form: the tasks app's permission, by name (this
            // app does not depend on it; the template also checks the app is composed).
            can_add_task => signed.can("tasks.create"),
            can_convert => signed.can(LEADS_CONVERT) && lead.status == StageKind::Won && lead.customer_id.is_none(),
        },
    );
    Ok(answer(failure.as_ref(), page))
}

/// `GET /admin/leads/{id}`.
pub(super) async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Query(query): Query<PageQuery>,
) -> Result<Response, ConsoleError> {
    let timeline = Some(query.timeline.trim()).filter(|cursor| !cursor.is_empty());
    let form = ActivityForm { kind: "note".to_owned(), ..ActivityForm::default() };
    render(&state, &signed, id, timeline, &form, None, done_message(&query.done)).await
}

/// `POST /admin/leads/{id}/activities`: as `POST /leads/{id}/activities`.
pub(super) async fn log_activity(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(form): Form<ActivityForm>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let access = access_of(ctx, LEADS_EDIT)?;
    let logged = async {
        let entry = form.input()?.check(Utc::now()).map_err(ApiError::Validation)?;
        let txn = state.db().write().begin().await?;
        activity_log(&txn, ctx.acting(), &access, id, entry).await?;
        Ok::<_, ApiError>(txn.commit().await?)
    };
    match logged.await {
        Ok(()) => Ok(done(&format!("/admin/leads/{id}"), "logged")),
        Err(error) => {
            let failure = Failure::of("activity", error)?;
            render(&state, &signed, id, None, &form, Some(failure), None).await
        }
    }
}

/// The convert form: the version it was shown at.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ConvertForm {
    version: String,
}

/// `POST /admin/leads/{id}/convert`: as `POST /leads/{id}/convert`; lands on the customer.
pub(super) async fn convert(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
    Form(form): Form<ConvertForm>,
) -> Result<Response, ConsoleError> {
    let ctx = &signed.ctx;
    let access = access_of(ctx, LEADS_CONVERT)?;
    let converted = async {
        let version = form.version.trim().parse().map_err(|_| ApiError::PreconditionFailed)?;
        let txn = state.db().write().begin().await?;
        let customer = lead_convert(&txn, ctx.acting(), &access, id, Some(version)).await?;
        txn.commit().await?;
        Ok::<_, ApiError>(customer)
    };
    match converted.await {
        Ok(customer) => Ok(Redirect::to(&format!("/admin/customers/{customer}")).into_response()),
        Err(error @ (ApiError::Conflict { .. } | ApiError::PreconditionFailed)) => {
            let failure = Failure::of("convert", error)?;
            let form = ActivityForm { kind: "note".to_owned(), ..ActivityForm::default() };
            render(&state, &signed, id, None, &form, Some(failure), None).await
        }
        Err(error) => Err(error.into()),
    }
}
