//! The audit viewer in the console: the organization's trail with the API's filters, each
//! event's before/after, and on demand the chain's verification — `audit.view`, the active
//! organization's chain only, like `GET /audit/events`.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use baseops_app::{ConsolePage, ConsoleSection};
use baseops_console::list::{first_page, given};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState};
use serde::Deserialize;

use crate::api::{EventQuery, filter};
use crate::permission::AUDIT_VIEW;
use crate::selector::list;

/// What the audit app adds to the console.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[ConsolePage { path: "audit", title: "Audit", permission: Some(AUDIT_VIEW) }],
    routes,
    templates: &[("audit/list.html", include_str!("../templates/audit/list.html"))],
    search: None,
    work: None,
};

fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(events)).route("/admin/audit/verify", post(verify))
}

/// The filter form, as a browser sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FilterForm {
    actor_id: String,
    entity_type: String,
    entity_id: String,
    action: String,
    cursor: String,
}

impl FilterForm {
    fn query(&self) -> EventQuery {
        EventQuery {
            actor_id: given(&self.actor_id),
            entity_type: given(&self.entity_type),
            entity_id: given(&self.entity_id),
            action: given(&self.action),
            cursor: given(&self.cursor),
            ..EventQuery::default()
        }
    }

    fn first_page(&self) -> String {
        first_page(
            "/admin/audit",
            &[
                ("actor_id", self.actor_id.as_str()),
                ("entity_type", &self.entity_type),
                ("entity_id", &self.entity_id),
                ("action", &self.action),
            ],
        )
    }
}

async fn render(
    state: &AppState,
    signed: &Signed,
    form: &FilterForm,
    verification: Option<baseops_console::Value>,
) -> Result<Response, ConsoleError> {
    signed.ctx.require(AUDIT_VIEW)?;
    let page = list(state.db().read(), &filter(&signed.ctx, form.query())?).await.map_err(ApiError::from)?;
    Ok(signed.page(
        "audit/list.html",
        vec![Crumb::here("Audit")],
        context! {
            page => value(&page),
            form => context! {
                actor_id => form.actor_id.trim(), entity_type => form.entity_type.trim(),
                entity_id => form.entity_id.trim(), action => form.action.trim(),
            },
            first_page => form.first_page(),
            paged => !form.cursor.is_empty(),
            verification => verification,
        },
    ))
}

async fn events(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<FilterForm>,
) -> Result<Response, ConsoleError> {
    render(&state, &signed, &form, None).await
}

/// Walks the organization's chain now (`baseops audit verify --org` does the same): whether
/// any sealed event was changed, removed or moved, and how far sealing lags.
async fn verify(State(state): State<AppState>, signed: Signed) -> Result<Response, ConsoleError> {
    signed.ctx.require(AUDIT_VIEW)?;
    let chain = signed.ctx.organization_id()?.to_string();
    let report = crate::verify::verify(state.db().read(), Some(&chain)).await.map_err(ApiError::from)?;
    let verification = context! { ok => report.is_ok(), report => value(&report) };
    render(&state, &signed, &FilterForm::default(), Some(verification)).await
}
