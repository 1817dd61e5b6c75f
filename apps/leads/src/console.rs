//! The leads app in the console: the list (search, status, order, keyset pages), a lead's
//! page, the pipeline board ([`board`]), and leads in the command palette. The same
//! selectors and services as the JSON API.

mod board;
mod bulk;
mod duplicates;
mod edit;
mod import;
mod page;
mod work;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use baseops_app::{ConsolePage, ConsoleSection, SearchHit};
use baseops_console::form::{Failure, answer};
use baseops_console::list::{Column, columns, first_page, given, shown};
use baseops_console::{ConsoleError, Crumb, Signed, context, value};
use baseops_core::{ApiError, AppState, RequestContext};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::Deserialize;

use crate::api::leads::ListQuery;
use crate::model::StageKind;
use crate::permission::{
    LEADS_ASSIGN, LEADS_CREATE, LEADS_DELETE, LEADS_EDIT, LEADS_EXPORT, LEADS_IMPORT, LEADS_VIEW, access_of,
};
use crate::selector::lead::{LeadFilter, lead_count, lead_list};

/// Matching leads are counted up to this many; beyond it the list says "more than".
const COUNT_BOUND: u64 = 1000;

/// The list's columns beside the name, which is always shown.
const COLUMNS: &[Column] = &[
    Column { key: "company", label: "Company", shown: true },
    Column { key: "email", label: "E-mail", shown: true },
    Column { key: "phone", label: "Phone", shown: false },
    Column { key: "source", label: "Source", shown: false },
    Column { key: "status", label: "Status", shown: true },
    Column { key: "value", label: "Value", shown: true },
    Column { key: "score", label: "Score", shown: true },
    Column { key: "tags", label: "Tags", shown: false },
    Column { key: "created", label: "Created", shown: true },
    Column { key: "updated", label: "Changed", shown: false },
];

/// What the leads app adds to the console.
pub const SECTION: ConsoleSection = ConsoleSection {
    pages: &[
        ConsolePage { path: "leads", title: "Leads", permission: Some(LEADS_VIEW) },
        ConsolePage { path: "leads/board", title: "Pipeline", permission: Some(LEADS_VIEW) },
    ],
    routes,
    templates: &[
        ("leads/list.html", include_str!("../templates/leads/list.html")),
        ("leads/detail.html", include_str!("../templates/leads/detail.html")),
        ("leads/board.html", include_str!("../templates/leads/board.html")),
        ("leads/board_head.html", include_str!("../templates/leads/board_head.html")),
        ("leads/board_card.html", include_str!("../templates/leads/board_card.html")),
        ("leads/board_answer.html", include_str!("../templates/leads/board_answer.html")),
        ("leads/form.html", include_str!("../templates/leads/form.html")),
        ("leads/delete.html", include_str!("../templates/leads/delete.html")),
        ("leads/bulk.html", include_str!("../templates/leads/bulk.html")),
        ("leads/import.html", include_str!("../templates/leads/import.html")),
        ("leads/duplicates.html", include_str!("../templates/leads/duplicates.html")),
        ("leads/import_wizard.html", include_str!("../templates/leads/import_wizard.html")),
        ("leads/import_progress.html", include_str!("../templates/leads/import_progress.html")),
    ],
    search: Some(search),
    work: Some(work::work),
};

fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/leads", get(list))
        .route("/admin/leads/board", get(board::board))
        .route("/admin/leads/new", get(edit::new_form).post(edit::create))
        .route("/admin/leads/export", get(export))
        .route("/admin/leads/bulk", post(bulk::bulk))
        .merge(import::routes())
        .merge(duplicates::routes())
        .route("/admin/leads/{id}", get(page::detail))
        .route("/admin/leads/{id}/activities", post(page::log_activity))
        .route("/admin/leads/{id}/convert", post(page::convert))
        .route("/admin/leads/{id}/edit", get(edit::edit_form).post(edit::update))
        .route("/admin/leads/{id}/delete", get(edit::delete_form).post(edit::delete))
        .route("/admin/leads/{id}/stage", post(board::move_stage))
}

/// The list's filter form, as a browser sends it: empty fields mean "any".
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListForm {
    q: String,
    status: String,
    mine: String,
    sort: String,
    cursor: String,
    done: String,
}

impl ListForm {
    fn filter(&self, ctx: &RequestContext) -> Result<LeadFilter, ConsoleError> {
        let status = match self.status.as_str() {
            "" => None,
            "open" => Some(StageKind::Open),
            "won" => Some(StageKind::Won),
            "lost" => Some(StageKind::Lost),
            _ => return Err(baseops_core::ApiError::invalid("status", "must be open, won or lost").into()),
        };
        let query = ListQuery {
            q: given(&self.q),
            status,
            sort: given(&self.sort),
            cursor: given(&self.cursor),
            ..ListQuery::default()
        };
        let mut filter = query.filter()?;
        if self.mine == "1" {
            filter.owner_id = Some(Some(ctx.user_id()));
        }
        Ok(filter)
    }

    /// The list's first page with this form's filters.
    fn first_page(&self) -> String {
        self.at("/admin/leads")
    }

    /// The CSV download of every lead these filters select.
    fn export_url(&self) -> String {
        self.at("/admin/leads/export")
    }

    /// `base` with this form's filters.
    fn at(&self, base: &str) -> String {
        first_page(
            base,
            &[("q", self.q.as_str()), ("status", &self.status), ("mine", &self.mine), ("sort", &self.sort)],
        )
    }
}

async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ListForm>,
) -> Result<Response, ConsoleError> {
    render_list(&state, &signed, &form, None).await
}

/// The list with `form`'s filters, and a bulk action's failure above it.
async fn render_list(
    state: &AppState,
    signed: &Signed,
    form: &ListForm,
    failure: Option<Failure>,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_VIEW)?;
    let filter = form.filter(&signed.ctx)?;
    let page = lead_list(state.db().read(), &access, &filter).await?;
    let count = lead_count(state.db().read(), &access, &filter, COUNT_BOUND).await.map_err(ApiError::from)?;
    let bulk = [("assign", LEADS_ASSIGN), ("stage", LEADS_EDIT), ("delete", LEADS_DELETE)]
        .into_iter()
        .filter(|(_, permission)| signed.can(permission))
        .map(|(action, _)| action)
        .collect::<Vec<_>>();
    let columns = columns(signed, "leads", COLUMNS);
    let page = signed.page(
        "leads/list.html",
        vec![Crumb::here("Leads")],
        context! {
            page => value(&page),
            count => value(&count),
            q => form.q.trim(),
            status => form.status.as_str(),
            mine => form.mine == "1",
            sort => form.sort.as_str(),
            first_page => form.first_page(),
            paged => !form.cursor.is_empty(),
            done => done_message(&form.done),
            can_create => signed.can(LEADS_CREATE),
            export => signed.can(LEADS_EXPORT).then(|| form.export_url()),
            can_import => signed.can(LEADS_IMPORT),
            bulk => bulk,
            columns => value(&columns),
            show => value(&shown(&columns)),
            bulk_action => form.at("/admin/leads/bulk"),
            failure => value(&failure),
        },
    );
    Ok(answer(failure.as_ref(), page))
}

/// `GET /admin/leads/export`: the list's filtered set as CSV, as `GET /leads/export`.
async fn export(
    State(state): State<AppState>,
    signed: Signed,
    Query(form): Query<ListForm>,
) -> Result<Response, ConsoleError> {
    let access = access_of(&signed.ctx, LEADS_EXPORT)?;
    let filter = form.filter(&signed.ctx)?;
    Ok(crate::api::export::csv_response(state, access, filter))
}

/// The list's fixed messages after a delete or a bulk action.
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "deleted" => "The lead is deleted.",
        "deleted_many" => "The selected leads are deleted.",
        "assigned" => "The selected leads have their new owner.",
        "moved" => "The selected leads are moved.",
        _ => return None,
    })
}

/// How a lead is called on screen: its name, else its e-mail address.
fn display_name(first: &str, last: &str, email: Option<&str>) -> String {
    let name = format!("{first} {last}");
    let name = name.trim();
    if name.is_empty() { email.unwrap_or("Unnamed lead").to_owned() } else { name.to_owned() }
}

/// Leads with words starting with the query's words (name, e-mail, company, phone), exact
/// words first, then newest: an index range scan ([`crate::selector::search`]).
fn search(
    state: AppState,
    ctx: RequestContext,
    q: String,
    limit: u64,
) -> BoxFuture<'static, Result<Vec<SearchHit>, baseops_core::ApiError>> {
    async move {
        if !ctx.can(LEADS_VIEW) {
            return Ok(Vec::new());
        }
        let access = access_of(&ctx, LEADS_VIEW)?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let leads = crate::selector::search::lead_search(state.db().read(), &access, &q, limit).await?;
        Ok(leads
            .into_iter()
            .map(|lead| SearchHit {
                kind: "Lead",
                title: display_name(&lead.first_name, &lead.last_name, lead.email.as_deref()),
                subtitle: [lead.company.as_deref(), lead.email.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                url: format!("/admin/leads/{}", lead.id),
            })
            .collect())
    }
    .boxed()
}
